"""BMLT (the Basic Meeting List Toolbox, NA's meeting servers), read.

Two shapes are understood:

- the flattened export ``{"formats": {id: {...}}, "service_bodies": {...}, "meetings":
  [...]}`` (the shape of ``shared/data/na-greater-new-york-2018.bmlt.json``), whose
  ``weekday_tinyint`` is the database's, 0 = Sunday;
- a BMLT server's ``client_interface/json/?switcher=GetSearchResults`` answer: a JSON
  array of meetings whose ``weekday_tinyint`` is 1 = Sunday (the HTTP API adds one),
  or with ``&get_formats_explicitly=1`` an object ``{"meetings": [...], "formats":
  [...]}`` that carries the server's own format table.

Format codes are per server; each has a world id that maps onto Meeting Guide codes.
Formats without a world id we know are kept as the fellowship's own types, with the
server's name for them. A plain GetSearchResults array names formats by key only: the
keys of BMLT's standard English format set are read through their usual world ids.
"""

import datetime as dt
from collections.abc import Iterator

from meetings.formats import (
    FormatError,
    ImportedLocation,
    ImportedMeeting,
    Rejected,
    country_code,
    parse_time,
    point,
    text,
    timezone_name,
)

# World ids onto Meeting Guide codes (reference/meeting-guide.md, "BMLT in brief");
# GL is BMLT's gay/lesbian/transgender format.
WORLD_TO_SPEC = {
    "OPEN": "O",
    "CLOSED": "C",
    "BEG": "BE",
    "WCHR": "X",
    "W": "W",
    "M": "M",
    "Y": "Y",
    "SPK": "SP",
    "DISC": "D",
    "STEP": "ST",
    "TRAD": "TR",
    "MED": "MED",
    "LIT": "LIT",
    "CAN": "CAN",
    "TC": "TC",
    "GL": "LGBTQ",
}
# World ids that say how people attend rather than what the meeting is.
WORLD_VIRTUAL = "VM"
WORLD_HYBRID = "HYBR"

# BMLT's standard English format keys and their world ids, for a GetSearchResults array
# that does not carry the server's format table.
STANDARD_KEYS = {
    "B": "BEG",
    "BK": "LIT",
    "C": "CLOSED",
    "CL": "CAN",
    "D": "DISC",
    "GL": "GL",
    "M": "M",
    "ME": "MED",
    "O": "OPEN",
    "SD": "SPK",
    "So": "SPK",
    "St": "STEP",
    "Tr": "TRAD",
    "TW": "TRAD",
    "W": "W",
    "WC": "WCHR",
    "YP": "Y",
    "VM": "VM",
    "HY": "HYBR",
    "TC": "TC",
}

VENUE_TYPES = {"1": "in_person", "2": "online", "3": "hybrid"}


class _Format:
    __slots__ = ("key", "name", "world_id")

    def __init__(self, key: str, name: str, world_id: str):
        self.key, self.name, self.world_id = key, name, world_id


def parse(data) -> Iterator[ImportedMeeting | Rejected]:
    """The meetings of a decoded BMLT answer (either shape); FormatError otherwise."""
    if isinstance(data, list):
        meetings, formats_by_id, by_key, first_day = data, {}, _standard_formats(), 1
    elif isinstance(data, dict) and isinstance(data.get("meetings"), list):
        meetings = data["meetings"]
        formats = data.get("formats")
        if isinstance(formats, dict):
            # The flattened database export: formats by id, weekdays as stored.
            formats_by_id = {
                str(fid): _format(f) for fid, f in formats.items() if isinstance(f, dict)
            }
            first_day = 0
        elif isinstance(formats, list):
            # GetSearchResults with get_formats_explicitly=1.
            formats_by_id = {text(f.get("id")): _format(f) for f in formats if isinstance(f, dict)}
            first_day = 1
        else:
            raise FormatError("A BMLT export needs its format table.")
        by_key = {f.key: f for f in formats_by_id.values()}
    else:
        raise FormatError("BMLT data is a JSON array of meetings or an object with meetings.")
    if not all(isinstance(m, dict) for m in meetings):
        raise FormatError("BMLT meetings are JSON objects.")
    if meetings and not any("weekday_tinyint" in m for m in meetings):
        hint = " It looks like a Meeting Guide feed." if "slug" in meetings[0] else ""
        raise FormatError("No meeting has a weekday_tinyint: this is not BMLT data." + hint)
    for index, row in enumerate(meetings, start=1):
        yield _meeting(row, index, formats_by_id, by_key, first_day)


def _format(raw: dict) -> _Format:
    return _Format(
        key=text(raw.get("key") or raw.get("key_string")),
        name=text(raw.get("name") or raw.get("name_string")),
        world_id=text(raw.get("world_id")).upper(),
    )


def _standard_formats() -> dict[str, _Format]:
    return {key: _Format(key, key, world) for key, world in STANDARD_KEYS.items()}


def _meeting(row: dict, index: int, formats_by_id, by_key, first_day) -> ImportedMeeting | Rejected:
    key = text(row.get("id_bigint"))
    name = text(row.get("meeting_name"))
    if not key:
        return Rejected(
            "", "no id_bigint", label=f"meeting {index}" + (f" ({name})" if name else "")
        )
    if not name:
        return Rejected(key, "no meeting_name")
    try:
        day = int(text(row.get("weekday_tinyint"))) - first_day
    except ValueError:
        day = -1
    if not 0 <= day <= 6:
        return Rejected(key, f"weekday_tinyint {row.get('weekday_tinyint')!r} is not a weekday")
    try:
        start = parse_time(row.get("start_time"))
    except ValueError:
        start = None
    if start is None:
        return Rejected(key, f"start_time {row.get('start_time')!r} is not a time")
    types, local, attendance = _types(row, formats_by_id, by_key)
    venue = VENUE_TYPES.get(text(row.get("venue_type")), "")
    attendance = venue or attendance
    info = text(row.get("virtual_meeting_additional_info"))
    url = text(row.get("virtual_meeting_link"))
    published = text(row.get("published")) not in {"0", "false", "False"}
    return ImportedMeeting(
        key=key,
        name=name[:255],
        day=day,
        start_time=start,
        end_time=_end_time(start, row.get("duration_time")),
        timezone=timezone_name(row.get("time_zone")),
        location=_location(row),
        types=types,
        local_types=local,
        conference_url=url,
        conference_url_notes=info if url else "",
        conference_phone=text(row.get("phone_meeting_number")),
        conference_phone_notes="" if url else info,
        notes=text(row.get("comments")),
        attendance=attendance,
        published=published,
    )


def _types(row: dict, formats_by_id, by_key) -> tuple[tuple[str, ...], dict[str, str], str]:
    """(Meeting Guide codes, the server's own {key: name}, attendance the formats say)."""
    ids = [i for i in text(row.get("format_shared_id_list")).split(",") if i.strip()]
    found = [formats_by_id[i.strip()] for i in ids if i.strip() in formats_by_id]
    if not found:
        keys = [k.strip() for k in text(row.get("formats")).split(",") if k.strip()]
        found = [by_key.get(k) or _Format(k, k, "") for k in keys]
    codes, local, attendance = [], {}, ""
    for fmt in found:
        if fmt.world_id == WORLD_VIRTUAL:
            attendance = attendance or "online"
        elif fmt.world_id == WORLD_HYBRID:
            attendance = "hybrid"
        elif fmt.world_id in WORLD_TO_SPEC:
            codes.append(WORLD_TO_SPEC[fmt.world_id])
        elif fmt.key:
            local[fmt.key] = fmt.name or fmt.key
    return tuple(dict.fromkeys(codes)), local, attendance


def _end_time(start: dt.time, duration) -> dt.time | None:
    """Start plus ``duration_time`` ("01:30:00"); None (one hour) when it is missing,
    zero or a day or more."""
    parts = text(duration).split(":")
    try:
        hours, minutes = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None
    length = dt.timedelta(hours=hours, minutes=minutes)
    if not dt.timedelta(0) < length < dt.timedelta(hours=24):
        return None
    return (dt.datetime.combine(dt.date(2000, 1, 2), start) + length).time()


def _location(row: dict) -> ImportedLocation | None:
    lat, lng = point(row.get("latitude"), row.get("longitude"))
    nation = text(row.get("location_nation"))
    directions = [text(row.get("location_info"))]
    if bus := text(row.get("bus_lines")):
        directions.append(f"Bus: {bus}")
    if train := text(row.get("train_lines")):
        directions.append(f"Train: {train}")
    location = ImportedLocation(
        name=text(row.get("location_text"))[:255],
        address=text(row.get("location_street"))[:255],
        # New York's BMLT leaves the municipality out and names the borough instead.
        city=(text(row.get("location_municipality")) or text(row.get("location_city_subsection")))[
            :100
        ],
        state=text(row.get("location_province"))[:100],
        postal_code=text(row.get("location_postal_code_1"))[:20],
        country=country_code(nation) if nation else "US",
        region=(
            text(row.get("location_city_subsection")) or text(row.get("location_sub_province"))
        )[:100],
        sub_region=text(row.get("location_neighborhood"))[:100],
        latitude=lat,
        longitude=lng,
        notes="\n".join(d for d in directions if d),
    )
    return None if location.is_empty else location
