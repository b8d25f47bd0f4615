"""The Meeting Guide JSON feed (Code for Recovery's spec), read and written.

``parse`` turns a feed (a flat JSON array) into ``ImportedMeeting`` records, applying the
rules the spec's consumers apply: no slug or a slug already seen is skipped, a ``day``
array becomes one meeting per day, string days and times are read, an empty end time
means one hour. ``to_feed_row`` writes one of our meetings as a feed row, and
``feed_problems`` checks a feed against the consumers' rules (used by the tests and
useful on any feed).
"""

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping

from django.db.models import CharField, Func, QuerySet
from django.urls import reverse
from django.utils.translation import get_language

from directory.models import format_address
from meetings.formats import (
    IN_PERSON_ONLY_TYPES,
    FormatError,
    ImportedLocation,
    ImportedMeeting,
    Rejected,
    code_list,
    country_code,
    is_conference_url,
    parse_day,
    parse_time,
    phone_digits,
    point,
    split_formatted_address,
    text,
    timezone_name,
    yes_no,
)
from recoverymap.lib.geo import is_timezone

ATTENDANCE_OPTIONS = ("in_person", "hybrid", "online", "inactive")
_DAY_SUFFIX = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


# Reading ---------------------------------------------------------------------------


def parse(data) -> Iterator[ImportedMeeting | Rejected]:
    """The meetings of a decoded Meeting Guide feed. FormatError when ``data`` is not a
    feed at all (not an array of meeting objects)."""
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]  # a few servers wrap the array
    if not isinstance(data, list):
        raise FormatError("A Meeting Guide feed is a JSON array of meetings.")
    rows = [row for row in data if isinstance(row, dict)]
    if len(rows) != len(data):
        raise FormatError("A Meeting Guide feed is an array of objects, one per meeting.")
    if rows and not any("slug" in row or "name" in row for row in rows):
        hint = " It looks like BMLT: use --format bmlt." if "meeting_name" in rows[0] else ""
        raise FormatError("No row has a name or a slug: this is not a Meeting Guide feed." + hint)
    for index, row in enumerate(rows, start=1):
        yield from _meetings_of(row, index)


def _meetings_of(row: dict, index: int) -> Iterator[ImportedMeeting | Rejected]:
    slug = text(row.get("slug"))
    name = text(row.get("name"))
    label = f"row {index}" + (f" ({name[:60]})" if name else "")
    if not slug:
        yield Rejected("", "no slug", label=label)
        return
    if not name:
        yield Rejected(slug, "no name")
        return
    days = row.get("day")
    days = days if isinstance(days, list) else [days]
    days = [d for d in days if text(d) != ""]
    if not days or text(row.get("time")) == "":
        yield Rejected(slug, "no day or time (meetings by appointment are not listed)")
        return
    try:
        days = sorted({parse_day(d) for d in days})
    except ValueError as error:
        yield Rejected(slug, f"day {error.args[0]!r} is not 0-6 or a day's name")
        return
    try:
        start = parse_time(row.get("time"))
    except ValueError:
        yield Rejected(slug, f"time {text(row.get('time'))!r} is not HH:MM")
        return
    warnings = []
    try:
        end = parse_time(row.get("end_time"))
    except ValueError:
        end = None
        warnings.append(f"end time {text(row.get('end_time'))!r} is not HH:MM; one hour assumed")
    zone = timezone_name(row.get("timezone"))
    if text(row.get("timezone")) and not zone:
        warnings.append(f"time zone {text(row.get('timezone'))!r} is unknown")
    attendance = text(row.get("attendance_option")).lower()
    common = {
        "name": name[:255],
        "start_time": start,
        "end_time": end,
        "timezone": zone,
        "location": _location(row),
        "types": code_list(row.get("types")),
        "conference_url": text(row.get("conference_url")),
        "conference_url_notes": text(row.get("conference_url_notes")),
        "conference_phone": text(row.get("conference_phone")),
        "conference_phone_notes": text(row.get("conference_phone_notes")),
        "group": text(row.get("group")),
        "group_notes": text(row.get("group_notes")),
        "notes": text(row.get("notes")),
        "attendance": attendance if attendance in ATTENDANCE_OPTIONS else "",
        "updated": _updated(row.get("updated")),
    }
    for day in days:
        if len(days) == 1:
            key, wanted = slug, slug
        else:
            # One meeting per day; each needs its own stable key and slug.
            key, wanted = f"{slug}#{day}", f"{slug}-{_DAY_SUFFIX[day]}"
        yield ImportedMeeting(key=key, slug=wanted, day=day, warnings=list(warnings), **common)


def _location(row: dict) -> ImportedLocation | None:
    lat, lng = point(row.get("latitude"), row.get("longitude"))
    if lat is None and (coordinates := text(row.get("coordinates"))):
        lat, lng = point(*(coordinates.split(",", 1) + [""])[:2])
    parts = {
        "address": text(row.get("address")),
        "city": text(row.get("city")),
        "state": text(row.get("state")),
        "postal_code": text(row.get("postal_code")),
        "country": country_code(row.get("country")),
    }
    formatted = text(row.get("formatted_address"))
    approximate = yes_no(row.get("approximate"))
    if formatted and not (parts["address"] or parts["city"]):
        parts = split_formatted_address(formatted)
    region, sub_region = text(row.get("region")), text(row.get("sub_region"))
    if not region and isinstance(regions := row.get("regions"), list):
        region, sub_region = _neighbourhoods(regions, parts["state"], parts["city"])
    location = ImportedLocation(
        name=text(row.get("location"))[:255],
        region=region[:100],
        sub_region=sub_region[:100],
        latitude=lat,
        longitude=lng,
        approximate=approximate,
        notes=text(row.get("location_notes")),
        **parts,
    )
    return None if location.is_empty else location


def _neighbourhoods(regions: list, state: str, city: str) -> tuple[str, str]:
    """Region and sub-region from a ``regions`` list (general to specific, e.g.
    ``["Illinois", "Chicago", "Wicker Park"]``): what comes after the city, or else what
    is left without the state, the city and a leading state name written in full."""
    names = [name for name in map(text, regions) if name]
    lowered = [name.lower() for name in names]
    if city and city.lower() in lowered:
        rest = names[lowered.index(city.lower()) + 1 :]
    else:
        rest = [name for name in names if name.lower() not in {state.lower(), city.lower()}]
        if len(rest) > 2:
            rest = rest[1:]
    return (rest + ["", ""])[0], (rest + ["", ""])[1]


def _updated(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


# Writing ---------------------------------------------------------------------------

# The values of a meeting (and its group and location) that a feed row needs, as
# ``feed_values`` reads them: tuples with these names as attributes, so no model instance,
# nor even a dict, is built per meeting. The feed_* ones are text the database formats.
FEED_VALUES = (
    "id",
    "name",
    "slug",
    "day",
    "feed_time",
    "feed_end_time",
    "timezone",
    "access",
    "attendance",
    "status",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "notes",
    "feed_updated",
    "group__name",
    "group__description",
    "group__fellowship__slug",
    "location_id",
    "location__name",
    "location__address",
    "location__city",
    "location__state",
    "location__postal_code",
    "location__country",
    "location__region",
    "location__sub_region",
    "location__latitude",
    "location__longitude",
    "location__approximate",
    "location__needs_geocoding",
    "location__directions",
    "location__accessibility_notes",
)


class _SpecTimestamp(Func):
    """A timestamp as the spec writes it, "YYYY-MM-DD HH:MM:SS" in UTC, formatted by the
    database.

    Read as datetimes, a quarter of a million timestamps cost about a second on
    PostgreSQL (Django's time-zone loader parses each one in Python) and formatting them
    back costs more; read as text they cost next to nothing. SQLite keeps a datetime as
    UTC text (our DATABASES set no TIME_ZONE) and its datetime() writes exactly this
    format; PostgreSQL is told the zone, whatever the session's. Both drop fractions of a
    second, as strftime does.
    """

    function = "datetime"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class _SpecTime(Func):
    """A time of day as the spec writes it, "HH:MM", formatted by the database.

    SQLite hands times to Python as text that Django parses, value by value, into
    ``datetime.time``, only for the feed to format them back: half a second for the
    whole directory. On PostgreSQL it is about even, and keeps one way for both.
    """

    template = "substr(time(%(expressions)s), 1, 5)"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "to_char(%(expressions)s, 'HH24:MI')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def feed_values(meetings: QuerySet, fields: tuple[str, ...] = FEED_VALUES) -> QuerySet:
    """The meetings as rows for ``to_feed_row``: named tuples of ``fields`` (FEED_VALUES,
    or more of them for another format), in the queryset's order."""
    return meetings.annotate(
        feed_time=_SpecTime("start_time"),
        feed_end_time=_SpecTime("end_time"),
        feed_updated=_SpecTimestamp("last_changed"),
    ).values_list(*fields, named=True)


# Open, closed and temporarily closed are said by the meeting's access and status, never
# by the codes it carries.
_STATUS_CODES = frozenset({"O", "C", "TC"})

# The location fields of a meeting with no location (online only): nowhere, approximately.
_NO_LOCATION = {
    "location": "",
    "location_notes": "",
    "formatted_address": "",
    "address": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "country": "",
    "region": "",
    "sub_region": "",
    "regions": [],
    "approximate": "yes",
}


def meeting_path(view: str = "meetings:meeting-detail") -> tuple[str, str]:
    """The path of a meeting's page (or of its ``view``) around its slug, in the active
    language (/es/... for a feed asked for in Spanish), reversed once rather than per row."""
    return _meeting_path(view, get_language())


@functools.cache
def _meeting_path(view: str, language: str | None) -> tuple[str, str]:
    # The language is part of the key: reverse() adds its prefix, and a process that
    # served a Spanish feed first must not give English feeds Spanish addresses.
    path = reverse(view, args=["slug-placeholder"])
    before, after = path.split("slug-placeholder")
    return before, after


def feed_attendance(meeting) -> str:
    """attendance_option as consumers would derive it from the row we write: in person
    needs a findable address and no TC; online needs a way to join. ``meeting`` is a row
    of FEED_VALUES, as for ``to_feed_row``."""
    in_person = (
        meeting.attendance in {"in_person", "hybrid"}
        and meeting.status != "tc"
        and meeting.location_id is not None
        and not meeting.location__approximate
        and door_level(meeting)
    )
    online = meeting.attendance in {"online", "hybrid"} and bool(
        meeting.conference_url or meeting.conference_phone
    )
    if in_person and online:
        return "hybrid"
    return "in_person" if in_person else "online" if online else "inactive"


def door_level(meeting) -> bool:
    """Whether the formatted address has the four parts (street, city, state and ZIP,
    country) without which consumers take an address as approximate."""
    return all(
        (
            meeting.location__address,
            meeting.location__city,
            meeting.location__state or meeting.location__postal_code,
            meeting.location__country,
        )
    )


def to_feed_row(meeting, types: Iterable[str], *, base_url: str) -> dict:
    """One meeting as a Meeting Guide feed row.

    ``meeting`` has the names in FEED_VALUES as attributes (a row of ``feed_values``).
    ``types`` are the meeting's Meeting Guide codes (fellowship-local codes are never
    exported: consumers drop unknown codes, and another fellowship's "HE" is not the
    spec's Hebrew). Open/closed and TC come from the meeting's access and status.
    ``base_url`` is the site's scheme and host, for the absolute ``url`` and
    ``feedback_url``.

    The whole directory's feed builds a quarter of a million of these in one response,
    so dates and times come formatted from the database (``feed_values``) and the row is
    one dict, built once.
    """
    attendance = feed_attendance(meeting)
    codes = set(types) - _STATUS_CODES
    if meeting.access == "open":
        codes.add("O")
    elif meeting.access == "closed":
        codes.add("C")
    if meeting.status == "tc":
        codes.add("TC")
    if attendance == "online":
        codes -= IN_PERSON_ONLY_TYPES
    before, after = meeting_path()
    url = f"{base_url}{before}{meeting.slug}{after}"
    return {
        "name": meeting.name or meeting.group__name,
        "slug": meeting.slug,
        "day": meeting.day,
        "time": meeting.feed_time,
        "end_time": feed_end_time(meeting.feed_time, meeting.feed_end_time),
        "timezone": meeting.timezone,
        **(_NO_LOCATION if meeting.location_id is None else _feed_location(meeting, attendance)),
        "types": sorted(codes),
        "conference_url": meeting.conference_url,
        "conference_url_notes": meeting.conference_url_notes,
        "conference_phone": meeting.conference_phone,
        "conference_phone_notes": meeting.conference_phone_notes,
        "attendance_option": attendance,
        "group": meeting.group__name,
        "group_notes": meeting.group__description,
        "notes": meeting.notes,
        "updated": meeting.feed_updated,
        "url": url,
        "feedback_url": f"{url}report/",
        "fellowship": meeting.group__fellowship__slug,
    }


def feed_end_time(start: str, end: str | None) -> str:
    """``end_time`` as consumers read it. The spec's clients put the end on the start's
    day (TSML UI reads 23:00-00:30 as ending 22½ hours before it starts: never "in
    progress", and a calendar event that ends before it begins), and all of them take a
    missing end as one hour after the start. So a meeting that passes midnight is written
    without an end: a client then has it under way from its start and in calendars on
    the right day, an hour long. Its true end is on our pages, in the ``.ics`` and in
    HSDS. Any other end is written as it is."""
    if not end or end <= start:
        return ""
    return end


def _feed_location(meeting, attendance: str) -> dict:
    """The location fields of a meeting that has a location."""
    # An online-only meeting is told as its town only (approximate), as TSML does:
    # a street address would make consumers list it as in person.
    town_only = attendance == "online" and meeting.status != "tc"
    address = "" if town_only else meeting.location__address
    city, state = meeting.location__city, meeting.location__state
    postal_code, country = meeting.location__postal_code, meeting.location__country
    notes = "\n\n".join(
        filter(None, (meeting.location__directions, meeting.location__accessibility_notes))
    )
    approximate = town_only or meeting.location__approximate or not door_level(meeting)
    row = {
        "location": "" if town_only else meeting.location__name,
        "location_notes": "" if town_only else notes,
        "formatted_address": format_address(address, city, state, postal_code, country),
        "address": address,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "country": country,
        "region": meeting.location__region,
        "sub_region": meeting.location__sub_region,
        "regions": feed_regions(
            state, city, meeting.location__region, meeting.location__sub_region
        ),
        "approximate": "yes" if approximate else "no",
    }
    # A door people can find, placed only at its ZIP code's or town's centre (no geocoder
    # knew it): the address is exact but the point is not, so no point is sent rather
    # than a pin a mile off. Consumers place the address themselves.
    centre_only = not approximate and meeting.location__needs_geocoding
    if meeting.location__latitude is not None and not centre_only:
        row["latitude"] = round(meeting.location__latitude, 5)
        row["longitude"] = round(meeting.location__longitude, 5)
    return row


def feed_regions(state: str, city: str, region: str, sub_region: str) -> list[str]:
    """The spec's ``regions``, general to specific: state, then city, then neighbourhood
    and sub-neighbourhood. Pasadena, TX and Pasadena, CA are then two regions, where a
    flat ``region`` of "Pasadena" would merge them."""
    regions = []
    for name in (state, city, region, sub_region):
        if name and name not in regions:
            regions.append(name)
    return regions


# Checking a feed against the consumers' rules ---------------------------------------

_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_UPDATED = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def feed_problems(rows: Iterable[Mapping], *, spec_codes: set[str]) -> list[str]:
    """What the Meeting Guide consumers would reject or misread in a feed, one line per
    problem ("slug: what"); empty when the feed is clean."""
    problems = []
    seen = set()
    for index, row in enumerate(rows, start=1):
        slug = row.get("slug")
        where = slug or f"row {index}"

        def problem(message, where=where):
            problems.append(f"{where}: {message}")

        if not isinstance(slug, str) or not _SLUG.match(slug):
            problem("slug missing, too long or not URL-safe")
        elif slug in seen:
            problem("slug already used")
        seen.add(slug)
        if not isinstance(row.get("name"), str) or not 0 < len(row["name"]) <= 255:
            problem("name missing or longer than 255 characters")
        if not isinstance(row.get("day"), int) or not 0 <= row["day"] <= 6:
            problem("day is not an integer 0-6")
        if not isinstance(row.get("time"), str) or not _HH_MM.match(row["time"]):
            problem("time is not HH:MM")
        if row.get("end_time") and not _HH_MM.match(row["end_time"]):
            problem("end_time is not HH:MM")
        if not is_timezone(row.get("timezone") or ""):
            problem("timezone missing or unknown")
        types = set(row.get("types") or [])
        if unknown := types - spec_codes:
            problem(f"types not in the spec: {', '.join(sorted(unknown))}")
        if {"O", "C"} <= types:
            problem("both open (O) and closed (C)")
        if {"M", "W"} <= types:
            problem("both men (M) and women (W)")
        attendance = row.get("attendance_option")
        if attendance not in ATTENDANCE_OPTIONS:
            problem("attendance_option missing or unknown")
            continue
        joinable = is_conference_url(row.get("conference_url") or "") or (
            phone_digits(row.get("conference_phone") or "") >= 10
        )
        findable = (
            row.get("approximate") == "no"
            and "TC" not in types
            and len([p for p in (row.get("formatted_address") or "").split(",") if p.strip()]) >= 4
        )
        expected = {
            (True, True): "hybrid",
            (True, False): "in_person",
            (False, True): "online",
            (False, False): "inactive",
        }[(findable, joinable)]
        if attendance != expected:
            problem(f"attendance_option {attendance!r} but consumers would derive {expected!r}")
        if attendance == "online" and (odd := types & IN_PERSON_ONLY_TYPES):
            problem(f"in-person types on an online meeting: {', '.join(sorted(odd))}")
        lat, lng = row.get("latitude"), row.get("longitude")
        if (lat is None) != (lng is None):
            problem("latitude without longitude")
        elif lat is not None and not (
            isinstance(lat, int | float) and isinstance(lng, int | float) and point(lat, lng)[0]
        ):
            problem("latitude/longitude not numbers in range")
        if row.get("updated") and not _UPDATED.match(row["updated"]):
            problem("updated is not YYYY-MM-DD HH:MM:SS")
    return problems
