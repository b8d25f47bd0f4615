"""manage.py load_reference: the shipped fellowships (with their translations) and Meeting
Guide types, added where missing, never overwriting a row that is already there.

``loaddata fellowships meeting_types`` writes every fixture row over the database's, so
running it on each start (or release) silently undid what staff had edited, a
fellowship's description for one. This adds only the rows whose natural key (a
fellowship's slug, a shared type's code) is not in the database yet: a fresh database
gets everything, a later release its new rows, and edited rows stay as staff left them.
A shipped row staff deleted comes back; mark it in the admin instead of deleting it.
"""

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, transaction

from directory.models import Fellowship, FellowshipTranslation
from meetings.models import MeetingType

# In order: translations and types name a fellowship.
FIXTURES = ["fellowships.json", "fellowship_translations.json", "meeting_types.json"]
# What tells a shipped row apart from staff's rows, by model.
NATURAL_KEYS = {
    Fellowship: ["slug"],
    FellowshipTranslation: ["fellowship", "language"],
    MeetingType: ["code", "fellowship"],
}


def _exists(obj) -> bool:
    fields = [obj._meta.get_field(name).attname for name in NATURAL_KEYS[type(obj)]]
    return type(obj).objects.filter(**{name: getattr(obj, name) for name in fields}).exists()


def reference_load() -> dict[str, int]:
    """Add the missing reference rows; returns how many were added, by model label."""
    added = {}
    with transaction.atomic():
        for name in FIXTURES:
            path = settings.FIXTURE_DIRS[0] / name
            with path.open(encoding="utf-8") as fixture:
                for record in serializers.deserialize("json", fixture):
                    obj = record.object
                    if _exists(obj):
                        continue
                    if type(obj).objects.filter(pk=obj.pk).exists():
                        obj.pk = None  # its id went to a row of staff's own
                    record.save()
                    label = obj._meta.label
                    added[label] = added.get(label, 0) + 1
        # Rows saved with their fixture ids leave PostgreSQL's sequences behind.
        sql = connection.ops.sequence_reset_sql(no_style(), list(NATURAL_KEYS))
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
    return added


class Command(BaseCommand):
    help = "Add the shipped fellowships and meeting types that are missing; never overwrite."

    def handle(self, *args, **options):
        added = reference_load()
        summary = ", ".join(f"{count} {label}" for label, count in added.items()) or "nothing"
        self.stdout.write(f"Reference data: added {summary}.")
