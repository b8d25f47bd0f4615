"""manage.py match_meetings [--source SOURCE]

Finds the meetings two sources both list, records the pairs (matched, near misses) and
shows each matched meeting once. Staff decisions (split, joined, the shown listing) are
kept. Syncs run it for the source they applied; run it by hand after a one-off import.
"""

from django.core.management.base import BaseCommand

from meetings.duplicates import meetings_match


class Command(BaseCommand):
    help = "Find meetings listed by two sources and show each once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            default=None,
            help="Only the pairs this source's meetings are in (as stored: its URL or name).",
        )

    def handle(self, *args, source, **options):
        summary = meetings_match(source=source)
        self.stdout.write(summary.line())
