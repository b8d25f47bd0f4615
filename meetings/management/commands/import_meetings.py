"""manage.py import_meetings SOURCE --format meeting-guide|bmlt|csv --fellowship SLUG

Reads a file or an http(s) URL, applies it in one transaction (``meetings_import``) and
prints what changed. A problem with the whole source stops before any write.
"""

import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from directory.models import Fellowship
from meetings.duplicates import meetings_match
from meetings.formats import FORMATS, FormatError, parse
from meetings.importing import ImportFailed, meetings_import
from recoverymap.lib.db import refresh_planner_statistics
from recoverymap.lib.geo import is_timezone
from recoverymap.lib.progress import ProgressBar

# A source larger than this is refused rather than read into memory.
MAX_BYTES = 200 * 1024 * 1024


def parse_type_map(items: list[str]) -> dict[str, str]:
    """``--type-map`` values (CODE=OURS, or CODE= for the fellowship's own type) as a map."""
    type_map = {}
    for item in items:
        code, sep, ours = item.partition("=")
        if not sep or not code.strip():
            raise CommandError(f"--type-map {item!r}: write CODE=OURS or CODE=.")
        type_map[code.strip()] = ours.strip()
    return type_map


class Command(BaseCommand):
    help = "Import meetings from a Meeting Guide feed, BMLT data or a TSML CSV sheet."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A file path or an http(s) URL.")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--fellowship", required=True, help="The fellowship's slug, e.g. aa.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Mark meetings this source gave before and no longer gives as inactive.",
        )
        parser.add_argument(
            "--type-map",
            action="append",
            default=[],
            metavar="CODE=OURS",
            help=(
                "Read the source's CODE as our code OURS (BB=B), or with nothing after "
                "the = as the fellowship's own type (HE=). Repeatable."
            ),
        )
        parser.add_argument(
            "--timezone", default="", help="Zone for meetings whose zone cannot be known."
        )
        parser.add_argument(
            "--source-name",
            default="",
            help="Name the source is remembered by (default: the URL or the file's full path).",
        )
        parser.add_argument(
            "--no-geocode", action="store_true", help="Do not ask the geocoder during the import."
        )
        parser.add_argument("--timeout", type=int, default=30, help="Seconds to wait for a URL.")

    def handle(self, *args, source, fellowship, **options):
        fmt = options["format"]
        try:
            group_of = Fellowship.objects.get(slug=fellowship)
        except Fellowship.DoesNotExist:
            slugs = ", ".join(Fellowship.objects.values_list("slug", flat=True)) or "none loaded"
            raise CommandError(f"No fellowship {fellowship!r} (known: {slugs}).") from None
        if options["timezone"] and not is_timezone(options["timezone"]):
            raise CommandError(f"{options['timezone']!r} is not a time zone name.")
        type_map = parse_type_map(options["type_map"])
        content, name = self.read(source, timeout=options["timeout"])
        try:
            records = parse(content, fmt)
        except FormatError as error:
            raise CommandError(f"{source} cannot be read as {fmt}: {error}") from None
        bar = ProgressBar.for_stream(self.stderr)
        try:
            summary = meetings_import(
                records=records,
                fellowship=group_of,
                source=options["source_name"] or name,
                dry_run=options["dry_run"],
                deactivate_missing=options["deactivate_missing"],
                type_map=type_map,
                default_timezone=options["timezone"],
                geocode=not options["no_geocode"],
                progress=bar,
            )
        except ImportFailed as error:
            raise CommandError(str(error)) from None
        finally:
            if bar:
                bar.close()
        if not options["dry_run"] and (summary.created or summary.updated):
            refresh_planner_statistics()
        for line in summary.lines():
            self.stdout.write(line)
        if not options["dry_run"] and (summary.created or summary.updated or summary.deactivated):
            # The meetings another source lists too are shown once (meetings.duplicates).
            self.stdout.write(meetings_match(source=summary.source).line())

    def read(self, source: str, *, timeout: int) -> tuple[bytes, str]:
        """(content, the name the source is remembered by)."""
        if source.startswith(("http://", "https://")):
            request = urllib.request.Request(
                source,
                headers={
                    "User-Agent": f"RecoveryMap/1.0 (+{settings.SITE_URL}) import_meetings",
                    "Accept": "application/json, text/csv;q=0.9, */*;q=0.1",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    content = response.read(MAX_BYTES + 1)
            except urllib.error.HTTPError as error:
                raise CommandError(f"{source} answered HTTP {error.code} {error.reason}.") from None
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", error)
                raise CommandError(f"Could not read {source}: {reason}.") from None
            name = source
        else:
            path = Path(source)
            try:
                with path.open("rb") as file:
                    content = file.read(MAX_BYTES + 1)
            except OSError as error:
                raise CommandError(f"Could not read {source}: {error.strerror}.") from None
            name = str(path.resolve())
        if len(content) > MAX_BYTES:
            raise CommandError(f"{source} is larger than {MAX_BYTES // 2**20} MB.")
        return content, name
