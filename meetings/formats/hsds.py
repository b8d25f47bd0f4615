"""Open Referral's Human Services Data Specification (HSDS 3.0), written: the exchange
format of 211 and information-and-referral systems.

Our shape maps onto HSDS as: a group is an ``organization`` (its fellowship its parent
organization, by identifier; never a person); each of its weekly meetings is a
``service`` with one ``schedule`` (a weekly RRULE: ``freq`` WEEKLY, ``byday``,
``opens_at``/``closes_at`` in the meeting's own zone, ``timezone`` as that zone's UTC
offset in hours, as HSDS 3.0's schedule has it); where it meets is a
``service_at_location`` with its ``location`` (a physical one with its address and
accessibility, a virtual one with the join link, or both for a hybrid meeting).
Languages and accessibility come from the meeting's types.
No email, no phone of anyone: HSDS has room for both and we fill neither.

Identifiers are UUIDs derived from ours (``hsds_id``), so a 211 that loads us twice
updates its records instead of duplicating them.

``to_service`` is pure: it takes a row of ``feed_values`` (with HSDS_VALUES) and the
meeting's Meeting Guide codes, as the Meeting Guide feed's ``to_feed_row`` does.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from meetings.formats.meeting_guide import FEED_VALUES, door_level, feed_attendance, meeting_path

HSDS_VERSION = "3.0"
# The namespace of our HSDS identifiers; never change it (a 211 keys its records on them).
_NAMESPACE = uuid.UUID("6f0cf1c4-5b3e-4b55-9a51-4f1d2b1c9e11")

HSDS_VALUES = FEED_VALUES + (
    "group_id",
    "group__fellowship_id",
    "group__fellowship__name",
    "group__website",
    "last_confirmed",
)

_BYDAY = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

# Meeting Guide language codes as ISO 639-1 codes, where the two differ; the rest are
# the ISO code in capitals ("EN", "FR").
_ISO_639 = {
    "S": "es",
    "ITA": "it",
    "KOR": "ko",
    "POL": "pl",
    "POR": "pt",
    "PUN": "pa",
    "RUS": "ru",
    "TUR": "tr",
}


def hsds_id(kind: str, key) -> str:
    """A stable UUID for one of our records as an HSDS record of ``kind``."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def utc_offset_hours(zone: str, on: dt.datetime) -> float | int:
    """The zone's offset from UTC at ``on``, in hours (HSDS 3.0's ``timezone``)."""
    offset = on.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() / 3600
    return int(offset) if offset.is_integer() else offset


def language_code(code: str) -> str:
    return _ISO_639.get(code, code.lower())


def to_service(
    meeting,
    codes: Iterable[str],
    types: dict[str, tuple[str, str]],
    *,
    base_url: str,
    now: dt.datetime,
) -> dict:
    """One meeting as an HSDS service, its organization, schedule and places nested.

    ``meeting`` is a row of ``feed_values(..., HSDS_VALUES)``; ``codes`` its Meeting
    Guide codes; ``types`` maps a code to its (category, name) for the spec's types.
    ``now`` picks the UTC offset a zone has this week.
    """
    service_id = hsds_id("meeting", meeting.id)
    before, after = meeting_path()
    url = f"{base_url}{before}{meeting.slug}{after}"
    before, after = meeting_path("meetings:meeting-ics")
    attendance = feed_attendance(meeting)
    schedule = {
        "id": hsds_id("schedule", meeting.id),
        "service_id": service_id,
        "freq": "WEEKLY",
        "interval": 1,
        "byday": _BYDAY[meeting.day],
        "opens_at": meeting.feed_time,
        "timezone": utc_offset_hours(meeting.timezone, now),
        "schedule_link": f"{base_url}{before}{meeting.slug}{after}",
        "attending_type": attendance,
        "notes": meeting.timezone,
    }
    if meeting.feed_end_time:
        schedule["closes_at"] = meeting.feed_end_time
    found = [types[code] for code in codes if code in types]
    languages = [
        {
            "id": hsds_id("language", f"{meeting.id}:{code}"),
            "service_id": service_id,
            "name": name,
            "code": language_code(code),
        }
        for code in sorted(codes)
        if code in types and (name := types[code][1]) and types[code][0] == "language"
    ]
    access = [name for category, name in found if category == "accessibility"]
    service = {
        "id": service_id,
        "organization_id": hsds_id("group", meeting.group_id),
        "name": meeting.name or meeting.group__name,
        "description": meeting.notes,
        "url": url,
        "status": "temporarily closed" if meeting.status == "tc" else "active",
        "assured_date": _assured_date(meeting),
        "schedules": [schedule],
        "languages": languages,
        "service_at_locations": _places(meeting, service_id, attendance, access),
        "organization": _organization(meeting),
    }
    return service


def _assured_date(meeting) -> str:
    """When the listing was last known right: an organizer's confirmation, or else its
    last real change (an import's source date)."""
    if meeting.last_confirmed is not None:
        return meeting.last_confirmed.date().isoformat()
    return meeting.feed_updated[:10]


def _organization(meeting) -> dict:
    organization = {
        "id": hsds_id("group", meeting.group_id),
        "name": meeting.group__name,
        "description": meeting.group__description or meeting.group__fellowship__name,
        # The fellowship, as the group's parent organization (only its identifier: HSDS
        # lists no organization here that provides no service itself).
        "parent_organization_id": hsds_id("fellowship", meeting.group__fellowship_id),
    }
    if meeting.group__website:
        organization["website"] = meeting.group__website
    return organization


def _places(meeting, service_id: str, attendance: str, access: list[str]) -> list[dict]:
    """The meeting's service_at_location records: where its door is (in person), where
    to join (online), both for a hybrid meeting, none for one that is neither."""
    places = []
    if attendance in {"in_person", "hybrid"}:
        places.append(_physical(meeting, service_id, access))
    if attendance in {"online", "hybrid"} and meeting.conference_url:
        location_id = hsds_id("virtual", meeting.id)
        location = {
            "id": location_id,
            "location_type": "virtual",
            "url": meeting.conference_url,
            "name": meeting.name or meeting.group__name,
            "description": meeting.conference_url_notes,
        }
        places.append(_at(service_id, location))
    return places


def _physical(meeting, service_id: str, access: list[str]) -> dict:
    details = meeting.location__accessibility_notes
    accessibility = None
    if access or details:
        accessibility = {
            "id": hsds_id("accessibility", f"{meeting.id}"),
            "description": ", ".join(access),
            "details": details,
        }
    venue = _venue(
        _RowLocation(meeting),
        meeting.location_id,
        door=door_level(meeting),
        accessibility=accessibility,
    )
    return _at(service_id, venue)


def _venue(location, pk: int, *, door: bool, accessibility: dict | None) -> dict:
    """A venue as an HSDS physical location, the same record (and identifier) in the
    services' ``service_at_locations`` and in /api/hsds/locations: ``location`` has a
    Location's field names, ``door`` says its address is a door people can find."""
    location_id = hsds_id("location", pk)
    record = {
        "id": location_id,
        "location_type": "physical",
        "name": location.name,
        "description": location.directions,
    }
    if location.latitude is not None and not location.needs_geocoding:
        record["latitude"] = round(location.latitude, 5)
        record["longitude"] = round(location.longitude, 5)
    if door:
        record["addresss"] = [
            {
                "id": hsds_id("address", pk),
                "location_id": location_id,
                "address_1": location.address,
                "city": location.city,
                "region": location.region,
                "state_province": location.state,
                "postal_code": location.postal_code,
                "country": location.country,
                "address_type": "physical",
            }
        ]
    if accessibility is not None:
        record["accessibilitys"] = [{"location_id": location_id, **accessibility}]
    return _spelt_both_ways(record)


class _RowLocation:
    """A feed row's ``location__*`` values read by a Location's field names."""

    def __init__(self, row):
        self._row = row

    def __getattr__(self, name):
        return getattr(self._row, f"location__{name}")


# HSDS 3.0's published schema names a location's lists "addresss" and "accessibilitys"
# (typos kept for compatibility); later releases spell them "addresses" and
# "accessibility". A location carries each list under both names, so a reader of
# either finds it.
_LATER_SPELLING = {"addresss": "addresses", "accessibilitys": "accessibility"}


def _spelt_both_ways(location: dict) -> dict:
    for old, new in _LATER_SPELLING.items():
        if old in location:
            location[new] = location[old]
    return location


def _at(service_id: str, location: dict) -> dict:
    return {
        "id": hsds_id("service_at_location", f"{service_id}:{location['id']}"),
        "service_id": service_id,
        "location_id": location["id"],
        "location": location,
    }


# The organizations and locations lists (/api/hsds/organizations, /api/hsds/locations) --


def fellowship_organization(fellowship) -> dict:
    """A fellowship as the organization its groups name as ``parent_organization_id``."""
    organization = {
        "id": hsds_id("fellowship", fellowship.id),
        "name": fellowship.name,
        "description": fellowship.local_description or fellowship.name,
    }
    if fellowship.website:
        organization["website"] = fellowship.website
    return organization


def group_organization(group) -> dict:
    """A group as an organization, the one its meetings (services) name."""
    organization = {
        "id": hsds_id("group", group.id),
        "name": group.name,
        "description": group.description or group.fellowship.name,
        "parent_organization_id": hsds_id("fellowship", group.fellowship_id),
    }
    if group.website:
        organization["website"] = group.website
    return organization


class _AsMeetingRow:
    """A location read as the ``location__*`` names of a feed row, for ``door_level``."""

    def __init__(self, location):
        self._location = location

    def __getattr__(self, name):
        return getattr(self._location, name.removeprefix("location__"))


def to_location(location) -> dict:
    """A venue where public meetings meet in person as an HSDS physical location: the
    same record (and identifier) as in the services' ``service_at_locations``, less the
    accessibility that comes from each meeting's types."""
    accessibility = None
    if location.accessibility_notes:
        accessibility = {
            "id": hsds_id("accessibility", f"location:{location.id}"),
            "details": location.accessibility_notes,
        }
    return _venue(
        location,
        location.id,
        door=door_level(_AsMeetingRow(location)),
        accessibility=accessibility,
    )
