"""Load the offline gazetteer of US ZIP code centroids from the ``zipcodes`` package."""

import zipcodes
from django.core.management.base import BaseCommand
from django.db import transaction

from directory.models import Place, normalize_city
from recoverymap.lib.geo import is_timezone, timezone_at


class Command(BaseCommand):
    help = "Load or refresh the US ZIP code gazetteer (about 42,000 places), offline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when places are already loaded."
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Place.objects.exists():
            return
        places = []
        for row in zipcodes.list_all():
            try:
                lat, lng = float(row["lat"]), float(row["long"])
            except (TypeError, ValueError):
                continue
            if lat == 0 and lng == 0:
                # About 870 codes (mostly military, some PO boxes) have no centroid in
                # the package; (0, 0) would drag a town's centre out to sea.
                continue
            # The package leaves a few zones empty or misspelt; the coordinates decide then.
            tz = row.get("timezone") or ""
            if not is_timezone(tz):
                tz = timezone_at(lat, lng)
            places.append(
                Place(
                    country="US",
                    code=row["zip_code"],
                    city=row["city"],
                    city_key=normalize_city(row["city"]),
                    state=row["state"],
                    latitude=lat,
                    longitude=lng,
                    timezone=tz,
                )
            )
        with transaction.atomic():
            # Replace whole: the gazetteer is reference data no one edits by hand.
            Place.objects.filter(country="US").delete()
            Place.objects.bulk_create(places, batch_size=2000)
        self.stdout.write(f"Loaded {len(places):,} places.")
