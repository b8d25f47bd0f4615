"""The outside formats RecoveryMap reads and writes: Meeting Guide JSON, BMLT and the TSML
CSV template, one module each.

Every reader turns the outside shape into the same plain records, ``ImportedMeeting``
(or ``Rejected`` for a row that cannot be a meeting, with the reason), so the import
service (``meetings.importing.meetings_import``) knows one shape only. Readers are pure:
no database, no network. A problem with the whole source (not JSON, the wrong format)
raises ``FormatError`` before anything is written.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from recoverymap.lib.geo import is_timezone

FORMATS = ("meeting-guide", "bmlt", "csv")


class FormatError(Exception):
    """The source as a whole cannot be read as the format asked for."""


@dataclass
class ImportedLocation:
    """Where a meeting meets, as a source gave it."""

    name: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # two-letter code; empty when the source did not say
    region: str = ""
    sub_region: str = ""
    latitude: float | None = None
    longitude: float | None = None
    # None: the source did not say; a location without a street address is approximate.
    approximate: bool | None = None
    notes: str = ""

    @property
    def is_approximate(self) -> bool:
        return self.approximate if self.approximate is not None else not self.address

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def is_empty(self) -> bool:
        return not (self.address or self.city or self.postal_code or self.has_point)


@dataclass
class ImportedMeeting:
    """One weekly meeting read from a source, before it is matched against ours."""

    key: str  # the meeting's stable id in the source: re-imports update by it
    name: str
    day: int  # 0 = Sunday
    start_time: dt.time
    end_time: dt.time | None = None
    slug: str = ""  # the slug the source publishes, if any
    timezone: str = ""
    location: ImportedLocation | None = None
    # Codes read as Meeting Guide codes where we know them (or type names, for CSV).
    types: tuple[str, ...] = ()
    # The source's own codes that must never be read as Meeting Guide codes (BMLT
    # formats with no world id), with their names.
    local_types: dict[str, str] = field(default_factory=dict)
    conference_url: str = ""
    conference_url_notes: str = ""
    conference_phone: str = ""
    conference_phone_notes: str = ""
    group: str = ""
    group_notes: str = ""
    notes: str = ""
    # How the source says people attend: in_person, online, hybrid, inactive, or "".
    attendance: str = ""
    published: bool = True
    updated: dt.datetime | None = None
    # Things the reader fixed or dropped on the way in, reported in the summary.
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejected:
    """A row that cannot become a meeting. ``key`` is its id in the source when it has
    one (so --deactivate-missing still counts it as present); ``label`` names it for
    people when it has none."""

    key: str
    reason: str
    label: str = ""

    @property
    def name(self) -> str:
        return self.key or self.label


def parse(content: bytes, fmt: str) -> list[ImportedMeeting | Rejected]:
    """The records of a source in format ``fmt``; FormatError if it is not one."""
    from meetings.formats import bmlt, csv, meeting_guide

    readers = {"meeting-guide": meeting_guide.parse, "bmlt": bmlt.parse, "csv": csv.parse}
    if fmt not in readers:
        raise FormatError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if fmt == "csv":
        return list(readers[fmt](decode_text(content)))
    return list(readers[fmt](load_json(content)))


def decode_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets exported on Windows: every byte is a valid cp1252/latin-1 character.
        return content.decode("cp1252", errors="replace")


def load_json(content: bytes):
    try:
        return json.loads(decode_text(content))
    except json.JSONDecodeError as error:
        raise FormatError(f"The source is not JSON: {error}.") from None


# Values as real feeds send them --------------------------------------------------------

_DAY_NAMES = {
    **{
        name: i
        for i, names in enumerate(
            [
                ("sunday", "sun", "su", "domingo", "dom"),
                ("monday", "mon", "mo", "lunes", "lun"),
                ("tuesday", "tue", "tues", "tu", "martes", "mar"),
                ("wednesday", "wed", "we", "miércoles", "miercoles", "mié", "mie"),
                ("thursday", "thu", "thur", "thurs", "th", "jueves", "jue"),
                ("friday", "fri", "fr", "viernes", "vie"),
                ("saturday", "sat", "sa", "sábado", "sabado", "sáb", "sab"),
            ]
        )
        for name in names
    }
}


def parse_day(value) -> int:
    """0-6 (0 = Sunday) from an integer, a string of one ("1"), or a day's name in
    English or Spanish ("Monday", "Mon", "lunes"). ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        day = value
    else:
        text = str(value).strip().lower().rstrip(".")
        if text.isdigit():
            day = int(text)
        elif text in _DAY_NAMES:
            return _DAY_NAMES[text]
        else:
            raise ValueError(value)
    if not 0 <= day <= 6:
        raise ValueError(value)
    return day


_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?\s*m\.?)?$"
)


def parse_time(value) -> dt.time | None:
    """A time of day from "19:00", "7:00", "19:00:00", "7:00 PM", "7pm", "noon";
    None for an empty value; ValueError for anything else. "24:00" is midnight."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text == "noon":
        return dt.time(12, 0)
    if text == "midnight":
        return dt.time(0, 0)
    match = _TIME.match(text)
    if not match:
        raise ValueError(value)
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(value)
        hour = hour % 12 + (12 if match["ampm"].startswith("p") else 0)
    elif match["m"] is None:
        raise ValueError(value)  # a bare number is not a time
    if hour == 24 and minute == 0:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(value)
    return dt.time(hour, minute)


def text(value) -> str:
    """A field as stripped text: None and non-strings become ""/str."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def number(value) -> float | None:
    """A coordinate from a number or a string; None when empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(str(value).strip())
    except ValueError:
        return None
    return result if result == result else None  # NaN is not a coordinate


def point(latitude, longitude) -> tuple[float | None, float | None]:
    """A valid (lat, lng) pair, or (None, None): out of range, half missing or the
    (0, 0) that some exports write for "unknown"."""
    lat, lng = number(latitude), number(longitude)
    if lat is None or lng is None:
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return lat, lng


def timezone_name(value) -> str:
    name = text(value)
    return name if is_timezone(name) else ""


def yes_no(value) -> bool | None:
    lowered = text(value).lower()
    if lowered in {"yes", "true", "1", "y"} or value is True:
        return True
    if lowered in {"no", "false", "0", "n"} or value is False:
        return False
    return None


def code_list(value) -> tuple[str, ...]:
    """Type codes from an array or a comma-separated string, stripped, first seen first."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    seen = dict.fromkeys(text(item) for item in items)
    return tuple(code for code in seen if code)


_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "u.s.a": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states": "US",
    "united states of america": "US",
    "ca": "CA",
    "can": "CA",
    "canada": "CA",
    "mx": "MX",
    "mex": "MX",
    "mexico": "MX",
    "méxico": "MX",
    "uk": "GB",
    "gb": "GB",
    "united kingdom": "GB",
}


def country_code(value) -> str:
    """A two-letter country code from "USA", "United States", "US", "ca"...; "" when
    not recognised (the caller decides the default)."""
    lowered = text(value).lower()
    if lowered in _COUNTRIES:
        return _COUNTRIES[lowered]
    if re.fullmatch(r"[a-z]{2}", lowered):
        return lowered.upper()
    return ""


_STATE_ZIP = re.compile(
    r"^(?P<state>[A-Za-z][A-Za-z .]*?)?\s*"
    r"(?P<zip>\d{5}(?:-\d{4})?|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d)?$"  # US ZIP or Canadian
)


def split_formatted_address(formatted: str) -> dict[str, str]:
    """The parts of a Meeting Guide ``formatted_address`` ("4953 W Addison St, Chicago,
    IL 60641, USA"): address, city, state, postal_code, country. With fewer than four
    comma-separated parts there is no street address (the spec's "approximate")."""
    parts = [p.strip() for p in formatted.split(",") if p.strip()]
    result = dict.fromkeys(("address", "city", "state", "postal_code", "country"), "")
    last = parts[-1].lower() if parts else ""
    # A country is named in full ("USA", "Canada"): a final "CA" is California.
    if len(parts) >= 2 and last in _COUNTRIES and (len(last) > 2 or last == "us"):
        result["country"] = _COUNTRIES[last]
        parts = parts[:-1]
    if len(parts) >= 2 and (match := _STATE_ZIP.match(parts[-1])):
        state = (match["state"] or "").strip()
        # "Chicago, IL 60641" or "Minneapolis, MN": state (and ZIP) after the city.
        if match["zip"] or len(state) <= 3:
            result["state"], result["postal_code"] = state, match["zip"] or ""
            parts = parts[:-1]
    if parts:
        result["city"] = parts.pop()
    result["address"] = ", ".join(parts)
    return result


# Attendance, as the Meeting Guide consumers derive it ---------------------------------

# Hosts whose links open a video or audio meeting directly (the spec's list, with the
# subdomains real links use: us02web.zoom.us, teams.live.com...).
CONFERENCE_HOSTS = (
    "zoom.us",
    "zoom.com",
    "meet.google.com",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
    "meet.jit.si",
    "gotomeeting.com",
    "goto.com",
    "gotomeet.me",
    "bluejeans.com",
    "freeconferencecall.com",
    "discord.gg",
    "discord.com",
    "signal.group",
    "skype.com",
    "join.skype.com",
    "whereby.com",
    "whatsapp.com",
    "chat.whatsapp.com",
    "t.me",
    "facebook.com",
)

# Types that only make sense where people meet in a room.
IN_PERSON_ONLY_TYPES = frozenset(
    {"BA", "BRK", "CAN", "CF", "OUT", "SM", "X", "XB", "FF", "AL", "AL-AN"}
)


def is_conference_url(url: str) -> bool:
    """An http(s) link on a host the Meeting Guide apps recognise as a meeting service."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    host = parts.hostname.lower()
    return any(host == known or host.endswith("." + known) for known in CONFERENCE_HOSTS)


def phone_digits(phone: str) -> int:
    """Digits before the first pause (","): the number itself, not the meeting id."""
    return sum(ch.isdigit() for ch in phone.split(",")[0].split(";")[0])


def is_http_url(url: str) -> bool:
    return urlsplit(url.strip()).scheme in {"http", "https"} and bool(urlsplit(url).hostname)


def attendance_of(record: ImportedMeeting, *, tc: bool | None = None) -> str:
    """in_person, online, hybrid or inactive, as the spec's consumers derive it.

    Online: a recognised join link, or a phone number of at least 10 digits; a source
    that says outright that the meeting is online (TSML's ``attendance_option``, BMLT's
    venue type) may use any http(s) link or number. In person: not marked TC, and an
    address people can find (not approximate). Both is hybrid; neither is inactive. A
    source that says "online" or "inactive" is believed over an address. ``tc`` says
    whether the meeting is marked TC when the caller has resolved its types itself.
    """
    if tc is None:
        tc = "TC" in record.types
    declared = record.attendance
    if declared == "inactive":
        return "inactive"
    has_link = is_http_url(record.conference_url) if record.conference_url else False
    has_phone = phone_digits(record.conference_phone) > 0
    online = is_conference_url(record.conference_url) or phone_digits(record.conference_phone) >= 10
    if declared in {"online", "hybrid"} and (has_link or has_phone):
        online = True
    location = record.location
    in_person = (
        not tc
        and declared != "online"
        and location is not None
        and not location.is_empty
        and not location.is_approximate
    )
    if in_person and online:
        return "hybrid"
    if in_person:
        return "in_person"
    if online:
        return "online"
    return "inactive"
