"""manage.py geocode_pending: retry the locations an import or an edit could not place.

Run it from cron (e.g. hourly) when a geocoder is configured; Nominatim's one request a
second is respected, so ``--limit`` bounds how long one run takes.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from meetings.geocoding import locations_geocode_pending


class Command(BaseCommand):
    help = "Geocode the locations flagged as needing it (after an import or a failed lookup)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many.")

    def handle(self, *args, limit, **options):
        if not settings.GEOCODER:
            self.stdout.write(
                "No geocoder is configured (set GEOCODER, e.g. nominatim); "
                "locations keep their ZIP code's centre meanwhile."
            )
        found, pending = locations_geocode_pending(limit=limit)
        self.stdout.write(f"Geocoded {found:,} locations; {pending:,} still pending.")
