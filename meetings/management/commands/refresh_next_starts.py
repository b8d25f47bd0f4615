"""manage.py refresh_next_starts: move each meeting whose occurrence is over on to its next.

Run it hourly from cron. "Starting soon", "in progress" and "in the next hour" read each
meeting's stored occurrence (``Meeting.next_start``); they stay right while this runs at
least every few days, and an hourly run keeps the index short. ``--all`` recomputes every
meeting, and each one's map cell (``Meeting.cell``), after a write that changed times or
places without ``Meeting.save()`` or ``Location.save()``.
"""

import time

from django.core.management.base import BaseCommand

from meetings.models import Meeting


class Command(BaseCommand):
    help = "Move meetings whose occurrence is over on to their next one (run it hourly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="every",
            help="Recompute every meeting (and its map cell), not only those whose occurrence "
            "is over.",
        )  # fmt: skip

    def handle(self, *args, every, **options):
        started = time.monotonic()
        changed = Meeting.objects.refresh_next_starts(every=every)
        message = f"Refreshed the next start of {changed:,} meetings"
        if every:
            message += f" and the map cell of {Meeting.objects.refresh_cells():,}"
        self.stdout.write(f"{message} in {time.monotonic() - started:.1f} s.")
