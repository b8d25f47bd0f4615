"""Build the fixture of shared meeting types from the Meeting Guide types file.

    manage.py build_type_fixture /path/to/meeting-guide-types.json
    manage.py build_type_fixture SOURCE --output fixtures/meeting_types.json

The source maps each spec code to its name in several languages,
``{"CODE": {"en": "...", "es": "...", ...}, ...}``. The fixture keeps the English and
Spanish names and adds a category chosen here, by hand, for every code: a code the spec
adds later stops the build until someone decides where it belongs, instead of landing
silently under a default.

Primary keys are 1..N in sorted code order, so the same source always gives the same file.
A new code in the source renumbers the codes sorted after it; rebuild and reload the
fixture together.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meetings.models import MeetingType

Category = MeetingType.Category

# Every code of the spec, by category, each list in sorted order; a code appears once.
# fmt: off
CATEGORY_CODES: dict[str, list[str]] = {
    Category.FORMAT: [
        "11", "12x12", "A", "ABSI", "B", "BE", "BRK", "CAN", "D", "DB", "DR", "GR", "H", "LIT",
        "LS", "MED", "OUT", "SP", "ST", "TR", "XT",
    ],
    Category.AUDIENCE: [
        "BI", "DD", "G", "L", "LGBTQ", "M", "N", "NB", "NDG", "P", "POC", "SEN", "T", "W", "Y",
    ],
    Category.LANGUAGE: [
        "AF", "AM", "AR", "BG", "DA", "DE", "EL", "EN", "FA", "FI", "FR", "HE", "HI", "HR",
        "HU", "IS", "ITA", "JA", "KA", "KOR", "LT", "ML", "MT", "NE", "NL", "NO", "POL", "POR",
        "PUN", "RUS", "S", "SK", "SL", "SV", "TH", "TL", "TUR", "UK",
    ],
    # ASL is listed with access needs, where Deaf and hard-of-hearing people look for it.
    Category.ACCESSIBILITY: ["ASL", "BA", "CF", "FF", "X", "XB"],
    # Open/closed and temporarily closed are fields of a meeting here; AL and AL-AN say
    # another fellowship meets at the same time; POA is a service, not a format.
    Category.OTHER: ["AL", "AL-AN", "C", "O", "POA", "SM", "TC"],
}
# fmt: on

CATEGORIES: dict[str, str] = {
    code: str(category) for category, codes in CATEGORY_CODES.items() for code in codes
}

DEFAULT_OUTPUT = settings.BASE_DIR / "fixtures" / "meeting_types.json"


class TypesFileError(ValueError):
    """The types file is not the Meeting Guide shape, or has codes we have not categorised."""


def types_fixture(data: dict) -> list[dict]:
    """Fixture rows for ``meetings.meetingtype`` from the parsed Meeting Guide types file."""
    if not isinstance(data, dict) or not data:
        raise TypesFileError('expected a non-empty object of {"CODE": {"en": ..., "es": ...}}')
    malformed = sorted(
        str(code)
        for code, names in data.items()
        if not isinstance(names, dict)
        or not isinstance(names.get("en"), str)
        or not names["en"].strip()
        or not isinstance(names.get("es", ""), str)
    )
    if malformed:
        raise TypesFileError(
            f"these codes lack an English name or are not objects: {', '.join(malformed)}"
        )
    unknown = sorted(set(data) - CATEGORIES.keys())
    if unknown:
        raise TypesFileError(
            f"no category for these codes: {', '.join(unknown)}; "
            "add them to CATEGORY_CODES in build_type_fixture.py"
        )
    return [
        {
            "model": "meetings.meetingtype",
            "pk": pk,
            "fields": {
                "fellowship": None,
                "code": code,
                "name": data[code]["en"].strip(),
                "name_es": data[code].get("es", "").strip(),
                "category": CATEGORIES[code],
                "description": "",
            },
        }
        for pk, code in enumerate(sorted(data), start=1)
    ]


class Command(BaseCommand):
    help = "Write the meeting types fixture from the Meeting Guide types file (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path to the Meeting Guide types JSON file.")
        parser.add_argument(
            "--output",
            default=str(DEFAULT_OUTPUT),
            help="Where to write the fixture (default: fixtures/meeting_types.json).",
        )

    def handle(self, *args, source, output, **options):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {source}: {exc.strerror or exc}") from exc
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise CommandError(f"{source} is not a JSON file: {exc}") from exc
        try:
            rows = types_fixture(data)
        except TypesFileError as exc:
            raise CommandError(f"{source}: {exc}") from exc

        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote {len(rows)} meeting types to {output}.")
