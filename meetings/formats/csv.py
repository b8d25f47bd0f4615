"""CSV with the headings of the 12 Step Meeting List (TSML) import template, read.

Headings are matched without regard to case, spaces or underscores ("Postal Code",
"postal_code"); Name, Day and Time are required, the rest optional. Days are names in
English or Spanish ("Monday", "lunes") or numbers 0-6; times are "19:00" or "7:00 PM";
types are codes or names separated by commas ("O, Big Book, Wheelchair Access"), resolved
against our vocabulary by the import. A row without a Slug is keyed by its name, day,
time and address, so re-importing the same sheet still updates rather than duplicates.
"""

import csv
import io
import re
from collections.abc import Iterator

from django.utils.text import slugify

from meetings.formats import (
    FormatError,
    ImportedLocation,
    ImportedMeeting,
    Rejected,
    code_list,
    country_code,
    parse_day,
    parse_time,
    point,
    split_formatted_address,
    text,
    timezone_name,
    yes_no,
)

# Our field for each heading of the template (folded: lowercase, letters and digits).
HEADINGS = {
    "time": "time",
    "endtime": "end_time",
    "day": "day",
    "name": "name",
    "slug": "slug",
    "location": "location",
    "address": "address",
    "city": "city",
    "state": "state",
    "postalcode": "postal_code",
    "zip": "postal_code",
    "country": "country",
    "region": "region",
    "subregion": "sub_region",
    "types": "types",
    "notes": "notes",
    "locationnotes": "location_notes",
    "conferenceurl": "conference_url",
    "conferenceurlnotes": "conference_url_notes",
    "conferencephone": "conference_phone",
    "conferencephonenotes": "conference_phone_notes",
    "group": "group",
    "groupnotes": "group_notes",
    "timezone": "timezone",
    "latitude": "latitude",
    "longitude": "longitude",
    "formattedaddress": "formatted_address",
    "approximate": "approximate",
    "attendanceoption": "attendance_option",
    "updated": "updated",
}
REQUIRED = {"name", "day", "time"}


def _fold(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


def parse(content: str) -> Iterator[ImportedMeeting | Rejected]:
    """The meetings of a CSV sheet; FormatError when its headings are not the template's."""
    sample = content[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    try:
        headings = next(reader)
    except StopIteration:
        raise FormatError("The CSV file is empty.") from None
    except csv.Error as error:
        raise FormatError(f"The CSV file cannot be read: {error}.") from None
    fields = [HEADINGS.get(_fold(h)) for h in headings]
    if missing := REQUIRED - set(fields):
        raise FormatError(
            "The CSV file lacks the template's "
            + ", ".join(sorted(m.title() for m in missing))
            + " column(s); its headings are: "
            + ", ".join(h for h in headings[:12] if h)
            + "."
        )
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            row = {f: v for f, v in zip(fields, values, strict=False) if f}
            yield _meeting(row, number)
    except csv.Error as error:
        raise FormatError(f"The CSV file cannot be read: {error}.") from None


def _meeting(row: dict, line: int) -> ImportedMeeting | Rejected:
    name = text(row.get("name"))
    slug = slugify(text(row.get("slug")))[:64]
    label = f"line {line}" + (f" ({name[:60]})" if name else "")
    if not name:
        return Rejected(slug, "no name", label=label)
    try:
        day = parse_day(row.get("day"))
    except ValueError:
        return Rejected(slug, f"day {text(row.get('day'))!r} is not a day's name", label=label)
    try:
        start = parse_time(row.get("time"))
    except ValueError:
        start = None
    if start is None:
        return Rejected(slug, f"time {text(row.get('time'))!r} is not a time", label=label)
    warnings = []
    try:
        end = parse_time(row.get("end_time"))
    except ValueError:
        end = None
        warnings.append(f"end time {text(row.get('end_time'))!r} is not a time; one hour assumed")
    location = _location(row)
    key = slug or _derived_key(name, day, start, location)
    attendance = text(row.get("attendance_option")).lower().replace(" ", "_")
    return ImportedMeeting(
        key=key,
        slug=slug,
        name=name[:255],
        day=day,
        start_time=start,
        end_time=end,
        timezone=timezone_name(row.get("timezone")),
        location=location,
        types=code_list(row.get("types")),
        conference_url=text(row.get("conference_url")),
        conference_url_notes=text(row.get("conference_url_notes")),
        conference_phone=text(row.get("conference_phone")),
        conference_phone_notes=text(row.get("conference_phone_notes")),
        group=text(row.get("group")),
        group_notes=text(row.get("group_notes")),
        notes=text(row.get("notes")),
        attendance=attendance
        if attendance in {"in_person", "online", "hybrid", "inactive"}
        else "",
        warnings=warnings,
    )


def _derived_key(name, day, start, location) -> str:
    address = location.address or location.city if location else "online"
    return "-".join([slugify(name)[:80], str(day), start.strftime("%H%M"), slugify(address)[:80]])


def _location(row: dict) -> ImportedLocation | None:
    lat, lng = point(row.get("latitude"), row.get("longitude"))
    parts = {
        "address": text(row.get("address")),
        "city": text(row.get("city")),
        "state": text(row.get("state")),
        "postal_code": text(row.get("postal_code")),
        "country": country_code(row.get("country")),
    }
    formatted = text(row.get("formatted_address"))
    if formatted and not (parts["address"] or parts["city"]):
        parts = split_formatted_address(formatted)
    elif parts["address"].count(",") >= 2 and not parts["city"]:
        # TSML accepts a whole formatted address in the Address column.
        parts = split_formatted_address(parts["address"])
    location = ImportedLocation(
        name=text(row.get("location"))[:255],
        region=text(row.get("region"))[:100],
        sub_region=text(row.get("sub_region"))[:100],
        latitude=lat,
        longitude=lng,
        approximate=yes_no(row.get("approximate")),
        notes=text(row.get("location_notes")),
        **{k: v[:255] if k == "address" else v[:100] for k, v in parts.items()},
    )
    return None if location.is_empty else location
