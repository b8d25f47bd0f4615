"""Demo data: a realistic, deterministic directory of groups, venues and meetings.

``build_plan`` is pure: from the gazetteer, the fellowships, the type codes, a size and a
seed it plans the whole directory in memory, and the same inputs always give the same
plan (names, slugs, times, coordinates, types). ``write_plan`` turns a plan into a few
bulk inserts, and ``seed_demo`` ties the two to the database for ``manage.py seed_demo``.

Anonymity holds by construction: group names come from group-style word lists (at most a
first name), and no email address or personal phone number is ever written; the only
numbers that dial are the conference bridges in ``conference_phone``.
"""

import bisect
import contextlib
import datetime as dt
import functools
import gc
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from directory.models import Fellowship, Group, Location, Place, normalize_city
from meetings.bulk import insert_objects, insert_rows
from meetings.listings import listings_changing
from meetings.models import Meeting, MeetingType
from recoverymap.lib.geo import (
    MILES_PER_DEGREE_LATITUDE,
    bounding_box,
    great_circle_miles,
    map_cell,
    unit_vector,
)

DEFAULT_MEETINGS = 3000
METRO_RADIUS_MILES = 30
# A rural ZIP is one this far from every metro centre, so the two pools never overlap.
RURAL_MIN_MILES = 45
RURAL_SHARE = 0.2
JITTER_MILES = 0.45
MEETINGS_PER_GROUP = 2.5
MEETINGS_PER_LOCATION = 3
CONFIRMED_WITHIN_DAYS = 548  # about 18 months
WRITE_CHUNK = 5000

# The fifty states and DC: territories and military ZIPs have no venues to invent.
STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
))  # fmt: skip

# (city, state, weight ~ metro population in millions, share of Spanish-language groups)
METROS: tuple[tuple[str, str, float, float], ...] = (
    ("New York", "NY", 19.5, 0.12),
    ("Los Angeles", "CA", 12.8, 0.25),
    ("Chicago", "IL", 9.3, 0.10),
    ("Dallas", "TX", 7.9, 0.12),
    ("Houston", "TX", 7.3, 0.18),
    ("Washington", "DC", 6.3, 0.06),
    ("Philadelphia", "PA", 6.2, 0.05),
    ("Atlanta", "GA", 6.2, 0.05),
    ("Miami", "FL", 6.1, 0.30),
    ("Phoenix", "AZ", 5.0, 0.15),
    ("Boston", "MA", 4.9, 0.05),
    ("San Francisco", "CA", 4.6, 0.08),
    ("Riverside", "CA", 4.6, 0.20),
    ("Detroit", "MI", 4.3, 0.03),
    ("Seattle", "WA", 4.0, 0.04),
    ("Minneapolis", "MN", 3.7, 0.04),
    ("San Diego", "CA", 3.3, 0.15),
    ("Tampa", "FL", 3.3, 0.08),
    ("Denver", "CO", 3.0, 0.10),
    ("Baltimore", "MD", 2.8, 0.03),
    ("Saint Louis", "MO", 2.8, 0.02),
    ("Charlotte", "NC", 2.7, 0.05),
    ("Orlando", "FL", 2.7, 0.12),
    ("San Antonio", "TX", 2.6, 0.30),
    ("Portland", "OR", 2.5, 0.05),
    ("Sacramento", "CA", 2.4, 0.10),
    ("Pittsburgh", "PA", 2.4, 0.02),
    ("Austin", "TX", 2.4, 0.12),
    ("Las Vegas", "NV", 2.3, 0.12),
    ("Cincinnati", "OH", 2.3, 0.02),
    ("Kansas City", "MO", 2.2, 0.04),
    ("Columbus", "OH", 2.1, 0.03),
    ("Indianapolis", "IN", 2.1, 0.03),
    ("Nashville", "TN", 2.0, 0.04),
    ("Albuquerque", "NM", 0.9, 0.25),
    ("El Paso", "TX", 0.9, 0.45),
)

# Relative number of groups per fellowship; a fellowship not listed counts as 1.
FELLOWSHIP_WEIGHTS = {
    "aa": 40, "na": 14, "al-anon": 10, "smart": 6, "celebrate-recovery": 5, "ca": 3,
    "recovery-dharma": 3, "cma": 2, "ma": 2, "nar-anon": 2, "lifering": 1.5, "wfs": 1,
    "alateen": 1, "smart-family": 1, "dra": 0.6, "sos": 0.5, "dtr": 0.4,
}  # fmt: skip

# How a fellowship's groups are usually named, when its abbreviation is not it.
FELLOWSHIP_LABELS = {
    "smart": "SMART Recovery",
    "smart-family": "SMART Family & Friends",
    "lifering": "LifeRing",
    "wfs": "WFS",
    "sos": "SOS",
    "recovery-dharma": "Recovery Dharma",
    "celebrate-recovery": "Celebrate Recovery",
}

# The first names a group may carry ("Joe's Group"), never with a surname. Tests read it.
FIRST_NAMES = (
    "Bill", "Bob", "Joe", "Mary", "Sue", "Jim", "Ann", "Tom", "Pat", "Dave", "Linda",
    "Frank", "Carol", "Ed", "Rose", "Sam",
)  # fmt: skip

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAY_SLUGS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# --- word lists --------------------------------------------------------------------------

_ADJECTIVES = (
    "Sunrise", "Sunset", "Serenity", "New", "Happy", "Freedom", "Hope", "Sober", "Early Bird",
    "Night Owl", "Lakeside", "Downtown", "Uptown", "Northside", "Southside", "Eastside",
    "Westside", "Hilltop", "Riverside", "Valley", "Harbor", "Open Door", "Back Porch",
    "Kitchen Table", "Old Town", "Midtown", "Parkside", "Crossroads", "Lighthouse", "Mustard Seed",
)  # fmt: skip
_NOUNS = (
    "Serenity", "Fellowship", "Freedom", "Unity", "Hope", "Recovery", "Promises", "Living",
    "Solution", "Sobriety", "Miracles", "Gratitude", "Acceptance", "Courage", "Surrender",
)  # fmt: skip
_PHRASES = (
    "Keep It Simple", "Back to Basics", "Came to Believe", "Easy Does It", "One Day at a Time",
    "Primary Purpose", "Happy Destiny", "Design for Living", "Joy of Living", "Just for Today",
    "Clean and Serene", "Miracles Happen", "Into Action", "Road to Recovery",
    "Language of the Heart", "Spiritual Awakening", "Attitude Adjustment", "Stepping Stones",
    "Bridge to Recovery", "Freedom Road", "How It Works", "Rule 62", "Big Book Study",
    "Twelve and Twelve", "Experience, Strength and Hope", "Sunlight of the Spirit",
    "Keep Coming Back", "First Things First", "Live and Let Live", "We Agnostics",
    "Ninety in Ninety", "Nooners", "Lunch Bunch",
    "Daily Reprieve", "Broad Highway", "Fourth Dimension", "Pass It On", "Grateful Hearts",
)  # fmt: skip
_FORMAT_WORDS = (
    "Step Study", "Big Book Study", "Speaker Meeting", "Discussion", "Newcomers Meeting",
    "Literature Study", "Meditation Meeting", "Candlelight Meeting",
)  # fmt: skip
_SPANISH = (
    "Nueva Vida", "Esperanza", "Renacer", "Un Día a la Vez", "Serenidad", "Libertad",
    "Fe y Esperanza", "Sólo por Hoy", "Amanecer", "Nuevo Amanecer", "Despertar Espiritual",
    "Camino a la Libertad", "La Luz", "Unidad", "Buena Voluntad", "Paz y Serenidad",
    "Nuevo Horizonte", "Fuente de Vida", "Sobriedad", "Milagro",
)  # fmt: skip
_FAMILY_PHRASES = (
    "Hope for Today", "Courage to Change", "One Day at a Time", "Serenity Seekers",
    "Keep Coming Back", "Path to Peace", "Detachment with Love", "Hope and Healing",
    "Just for Today", "Fresh Start", "Paths to Recovery", "Serenity Circle", "Easy Does It",
    "Lifeline", "Beacon of Hope", "New Beginnings",
)  # fmt: skip
_SECULAR_WORDS = (
    "Northside", "Downtown", "Lakeside", "Eastside", "Westside", "Riverside", "Hilltop",
    "Valley", "Midtown", "Harbor", "Parkside", "Crossroads", "Fresh Start", "Forward",
    "New Directions", "Tools for Living", "Next Steps", "Open Road", "Clear Path",
    "Common Ground", "Evening", "Morning", "Weekend", "Balance",
)  # fmt: skip
_SANGHAS = (
    "Mindful Path", "Refuge", "Heart of Recovery", "Open Heart", "Wise Intention",
    "Lotus", "Still Water", "Beginner's Mind", "Middle Way", "Compassion", "Awakening",
)  # fmt: skip
_SAINTS = (
    "Mark", "John", "Paul", "Luke", "Andrew", "Mary", "Joseph", "Peter", "James", "Michael",
    "Anne", "Francis", "Thomas", "Patrick", "Stephen", "Matthew", "Timothy", "Barnabas",
)  # fmt: skip
_CHURCH_ADJECTIVES = (
    "Grace", "Trinity", "Bethel", "Zion", "Faith", "Hope", "Redeemer", "Good Shepherd", "Peace",
    "Calvary", "Emmanuel", "Christ", "Holy Spirit", "Cornerstone", "New Life",
)  # fmt: skip
_DENOMINATIONS = ("Methodist", "Baptist", "Presbyterian", "Congregational", "Lutheran")
_DIRECTIONS = ("North", "South", "East", "West", "Central", "Northeast", "Southwest")
_STREETS = (
    "Oak", "Maple", "Main", "Elm", "Cedar", "Pine", "Church", "Mill", "River", "Spring",
    "Center", "Highland", "Sunset", "Ridge", "Walnut", "Chestnut", "Cherry", "Willow", "Lake",
    "Park", "Hill", "Forest", "Meadow", "Orchard", "Prospect", "Union", "Market", "Water",
    "School", "Broad", "Valley View", "College", "Railroad", "Grove", "1st", "2nd", "3rd",
    "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "14th", "Commerce", "Liberty",
)  # fmt: skip
_STREET_KINDS = ("St", "St", "Ave", "Ave", "Rd", "Blvd", "Dr", "Ln", "Way", "Pkwy")

_DIRECTIONS_NOTES = (
    "Side door off the parking lot; the meeting room is in the basement.",
    "Upstairs, Room 204. Follow the signs from the main entrance.",
    "Enter from the rear parking lot.",
    "Fellowship hall, lower level. Street parking after 6 pm.",
    "Meeting room at the end of the hall on the left.",
    "Ring the bell at the east door if it is locked.",
    "Free parking behind the building; the bus stops at the corner.",
    "Use the entrance facing the playground.",
)  # fmt: skip
_ACCESSIBLE_NOTES = (
    "Ramp at the main entrance; accessible restroom on the same floor.",
    "Step-free entrance from the parking lot; elevator to all floors.",
    "Level entrance and accessible parking spaces by the door.",
)  # fmt: skip
_INACCESSIBLE_NOTES = (
    "Stairs down to the meeting room; no elevator.",
    "A few steps at the entrance; no ramp yet.",
)
_GROUP_DESCRIPTIONS = (
    "A friendly home group. Newcomers are always welcome.",
    "We read from the literature and share in turn.",
    "A small, welcoming group; coffee is on from fifteen minutes before.",
    "Our group has met in this neighbourhood for many years.",
    "Come early to meet people; we stay after to help newcomers.",
    "",
    "",
)  # fmt: skip
_SPANISH_DESCRIPTIONS = (
    "Un grupo de habla hispana. Los recién llegados son bienvenidos.",
    "Compartimos nuestra experiencia, fortaleza y esperanza en español.",
    "",
)
_MEETING_NOTES = (
    "Newcomers welcome. Coffee from fifteen minutes before the start.",
    "Literature available at the meeting.",
    "Please silence phones during the meeting.",
    "Chips for sobriety milestones on the last meeting of the month.",
    "We read a chapter and share on it.",
    "Business meeting on the first week of the month, after the meeting.",
    "Meeting runs a little longer on holidays.",
)  # fmt: skip
_SPANISH_NOTES = (
    "Reunión en español. Bienvenidos los recién llegados.",
    "Reunión en español; hay literatura disponible.",
)
_PASSWORDS = ("serenity", "hope", "sober", "oneday", "recovery", "gratitude", "unity", "peace")
# Public Zoom dial-in bridges; the meeting number follows after two pauses.
_ZOOM_BRIDGES = (
    "+16465588656", "+13126266799", "+16699009128", "+12532158782", "+13462487799",
    "+13017158592",
)  # fmt: skip


def _time_slots() -> tuple[list[dt.time], list[float]]:
    """Start times every 15 minutes from 06:00 to 22:00, weighted as meetings really start:
    mostly evenings, then noon and early morning, mostly on the hour or half hour."""
    by_hour = {
        6: 1.5, 7: 3, 8: 2, 9: 2, 10: 2.5, 11: 1.5, 12: 4, 13: 1, 14: 0.5, 15: 0.5, 16: 1,
        17: 2.5, 18: 6, 19: 9, 20: 6, 21: 2, 22: 0.5,
    }  # fmt: skip
    by_minute = {0: 2.0, 15: 0.3, 30: 1.5, 45: 0.3}
    times, weights = [], []
    for hour, hour_weight in by_hour.items():
        for minute, minute_weight in by_minute.items():
            if hour == 22 and minute:
                continue
            times.append(dt.time(hour, minute))
            weights.append(hour_weight * minute_weight)
    return times, weights


_TIMES, _TIME_WEIGHTS = _time_slots()
_TIME_CUM_WEIGHTS = list(itertools.accumulate(_TIME_WEIGHTS))


# --- the plan --------------------------------------------------------------------------


class DemoDataError(Exception):
    """The database is not ready for demo data; the message says what to run."""


@dataclass(frozen=True, slots=True)
class ZipPoint:
    code: str
    city: str
    city_key: str  # the city folded for matching, as Place keeps it
    state: str
    latitude: float
    longitude: float
    timezone: str


@dataclass(frozen=True, slots=True)
class FellowshipInfo:
    slug: str
    name: str
    abbreviation: str
    philosophy: str
    audience: str


@dataclass(slots=True)
class Area:
    """A metro area (ZIPs near its centre) or the rural pool (ZIPs far from every metro)."""

    name: str
    zips: list[ZipPoint]
    weight: float
    spanish: float
    rural: bool = False
    locations: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PlannedLocation:
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    latitude: float
    longitude: float
    timezone: str
    directions: str = ""
    accessibility_notes: str = ""
    accessible: bool = False
    # A town, not a door: where an online meeting's group is based (no street address).
    approximate: bool = False


@dataclass(slots=True)
class PlannedGroup:
    fellowship: str  # slug
    name: str
    slug: str
    description: str
    area: int
    timezone: str
    home: int | None  # location index; None for a group that meets only online
    spanish: bool
    audience: str  # a type code every meeting carries, or ""
    online_only: bool
    day: int | None  # the day its name promises ("Tuesday Night ..."), if any
    hours: tuple[int, int]  # the start hours its name promises, [from, to)
    town: str = ""  # ZIP code of the town an online-only group is based in


@dataclass(slots=True)
class PlannedMeeting:
    group: int
    location: int | None
    name: str
    slug: str
    day: int
    start_time: dt.time
    end_time: dt.time
    timezone: str
    access: str
    attendance: str
    status: str
    conference_url: str
    conference_url_notes: str
    conference_phone: str
    conference_phone_notes: str
    notes: str
    last_confirmed: dt.datetime | None
    types: tuple[str, ...]


@dataclass(slots=True)
class Plan:
    locations: list[PlannedLocation]
    groups: list[PlannedGroup]
    meetings: list[PlannedMeeting]


@dataclass(frozen=True, slots=True)
class Summary:
    locations: int
    groups: int
    meetings: int
    type_links: int
    deleted_meetings: int = 0


class SlugAllocator:
    """Unique slugs without a query per row: a base, then base-2, base-3, ..."""

    def __init__(self, taken: Iterable[str] = ()):
        self._taken = set(taken)
        self._next: dict[str, int] = {}

    def allocate(self, base: str) -> str:
        if base not in self._taken:
            self._taken.add(base)
            return base
        n = self._next.get(base, 2)
        while f"{base}-{n}" in self._taken:
            n += 1
        self._next[base] = n + 1
        slug = f"{base}-{n}"
        self._taken.add(slug)
        return slug


@functools.lru_cache(maxsize=65536)
def _slugify(name: str) -> str:
    # Names repeat a great deal; slugify is the costliest step of planning without this.
    return slugify(name)


def group_slug_base(name: str) -> str:
    # 55 characters leave room for "-" and a counter of up to eight digits within 64.
    return _slugify(name)[:55].strip("-") or "group"


def meeting_slug_base(name: str, day: int) -> str:
    """The same shape ``meetings.models.unique_meeting_slug`` gives: name, then day."""
    return (_slugify(name)[:52].strip("-") or "meeting") + "-" + DAY_SLUGS[day]


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, in whole numbers that add up."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def build_areas(zips: Sequence[ZipPoint]) -> list[Area]:
    """The metro areas found in the gazetteer, then the rural pool.

    A metro's centre is the median of its city's ZIP centroids, which one misplaced ZIP
    cannot drag away as it would a mean.
    """
    by_city: dict[tuple[str, str], list[ZipPoint]] = {}
    for z in zips:
        by_city.setdefault((z.city_key, z.state), []).append(z)

    by_latitude = sorted(zips, key=lambda z: (z.latitude, z.code))
    latitudes = [z.latitude for z in by_latitude]
    areas, near_a_metro = [], set()
    for city, state, weight, spanish in METROS:
        own = by_city.get((normalize_city(city), state))
        if not own:
            continue
        lat = _median([z.latitude for z in own])
        lng = _median([z.longitude for z in own])
        near = _within(by_latitude, latitudes, lat, lng, METRO_RADIUS_MILES)
        if near:
            areas.append(Area(f"{city}, {state}", near, weight, spanish))
            near_a_metro.update(
                z.code for z in _within(by_latitude, latitudes, lat, lng, RURAL_MIN_MILES)
            )

    rural = [z for z in zips if z.code not in near_a_metro]
    if rural:
        metro_weight = sum(a.weight for a in areas)
        share = RURAL_SHARE if areas else 1.0
        rural_weight = metro_weight * share / (1 - share) if areas else 1.0
        areas.append(Area("Rural", rural, rural_weight, 0.05, rural=True))
    return areas


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _within(
    by_latitude: Sequence[ZipPoint],
    latitudes: Sequence[float],
    lat: float,
    lng: float,
    miles: float,
) -> list[ZipPoint]:
    """The ZIPs within ``miles`` of the point, in code order; ``by_latitude`` is sorted
    by latitude (``latitudes`` its keys) so only a narrow band is measured."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, miles)
    band = by_latitude[
        bisect.bisect_left(latitudes, min_lat) : bisect.bisect_right(latitudes, max_lat)
    ]
    found = [
        z
        for z in band
        if min_lng <= z.longitude <= max_lng
        and great_circle_miles(lat, lng, z.latitude, z.longitude) <= miles
    ]
    return sorted(found, key=lambda z: z.code)


def build_plan(
    *,
    zips: Sequence[ZipPoint],
    fellowships: Sequence[FellowshipInfo],
    type_codes: Iterable[str],
    meetings: int,
    seed: int,
    reference: dt.datetime,
    taken_group_slugs: Iterable[str] = (),
    taken_meeting_slugs: Iterable[str] = (),
) -> Plan:
    """Plan ``meetings`` meetings, their groups and venues; the same inputs, the same plan.

    ``zips`` and ``fellowships`` should come in a stable order (by code, by slug);
    ``reference`` anchors ``last_confirmed``, every meeting confirmed a fixed time before it.
    """
    if meetings < 1:
        raise ValueError("meetings must be at least 1")
    if not fellowships:
        raise DemoDataError("There are no fellowships to seed.")
    areas = build_areas(zips)
    if not areas:
        raise DemoDataError("The gazetteer has no usable US places.")
    codes = frozenset(type_codes)
    rng = random.Random(f"recoverymap-demo:{seed}")

    n_groups = min(meetings, max(1, round(meetings / MEETINGS_PER_GROUP)))
    n_locations = max(1, round(meetings / MEETINGS_PER_LOCATION))

    # Groups per area in proportion to its weight; locations likewise, never more than
    # the area's groups, so every venue is some group's home.
    weights = [a.weight for a in areas]
    groups_per_area = _largest_remainder(n_groups, weights)
    locations_per_area = _largest_remainder(n_locations, weights)

    locations: list[PlannedLocation] = []
    for area, n_loc, n_grp in zip(areas, locations_per_area, groups_per_area, strict=True):
        n_loc = min(n_loc, n_grp) or (1 if n_grp else 0)
        for _ in range(n_loc):
            area.locations.append(len(locations))
            locations.append(_plan_location(rng, rng.choice(area.zips), rural=area.rural))

    groups = _plan_groups(rng, areas, groups_per_area, fellowships, locations)

    # Every group holds at least one meeting; busier groups hold more.
    per_group = [1] * len(groups)
    activity = [rng.choice((1, 1, 1, 2, 2, 3, 4, 6)) for _ in groups]
    for g in rng.choices(range(len(groups)), weights=activity, k=meetings - len(groups)):
        per_group[g] += 1

    fellowship_by_slug = {f.slug: f for f in fellowships}
    slugs = SlugAllocator(taken_meeting_slugs)
    planned: list[PlannedMeeting] = []
    for g, (group, count) in enumerate(zip(groups, per_group, strict=True)):
        planned.extend(
            _plan_meetings(
                rng,
                g,
                group,
                count,
                fellowship_by_slug[group.fellowship],
                areas[group.area],
                locations,
                codes,
                slugs,
                reference,
            )
        )
    _place_online_meetings(planned, groups, areas, locations)
    group_slugs = SlugAllocator(taken_group_slugs)
    for group in groups:
        group.slug = group_slugs.allocate(group_slug_base(group.name))
    return Plan(locations=locations, groups=groups, meetings=planned)


def _place_online_meetings(planned, groups, areas, locations: list[PlannedLocation]) -> None:
    """Give each online meeting its group's town, as an approximate place at the ZIP
    code's centre (one per town): the place a Meeting Guide client needs to list it.
    No random draws, so the rest of the plan is as it was."""
    towns: dict[str, int] = {}
    for meeting in planned:
        if meeting.location is not None:
            continue
        group = groups[meeting.group]
        if group.town not in towns:
            z = next(z for z in areas[group.area].zips if z.code == group.town)
            towns[z.code] = len(locations)
            locations.append(
                PlannedLocation(
                    "",
                    "",
                    z.city,
                    z.state,
                    z.code,
                    z.latitude,
                    z.longitude,
                    z.timezone,
                    approximate=True,
                )  # fmt: skip
            )
        meeting.location = towns[group.town]
        meeting.timezone = locations[meeting.location].timezone


def _plan_location(rng: random.Random, z: ZipPoint, *, rural: bool) -> PlannedLocation:
    # Jitter within half a mile, uniformly over the disc, so venues are distinct points.
    r = JITTER_MILES * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    lat = z.latitude + r * math.cos(theta) / MILES_PER_DEGREE_LATITUDE
    lng = z.longitude + r * math.sin(theta) / (
        MILES_PER_DEGREE_LATITUDE * max(math.cos(math.radians(z.latitude)), 0.01)
    )
    accessible = rng.random() < 0.5
    return PlannedLocation(
        name=_venue_name(rng, rural=rural),
        address=f"{rng.randint(100, 9899)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}",
        city=z.city,
        state=z.state,
        postal_code=z.code,
        latitude=round(lat, 6),
        longitude=round(lng, 6),
        timezone=z.timezone,
        directions=rng.choice(_DIRECTIONS_NOTES) if rng.random() < 0.6 else "",
        accessibility_notes=(
            rng.choice(_ACCESSIBLE_NOTES if accessible else _INACCESSIBLE_NOTES)
            if rng.random() < 0.5
            else ""
        ),
        accessible=accessible,
    )


def _venue_name(rng: random.Random, *, rural: bool) -> str:
    kind = rng.choices(
        ("saint", "church", "first", "methodist", "club", "community", "library", "hospital",
         "post", "recovery", "ymca", "rural"),
        weights=(14, 12, 8, 5, 9, 10, 8, 4, 4, 4, 3, 8 if rural else 0),
    )[0]  # fmt: skip
    match kind:
        case "saint":
            suffix = rng.choice(("Church", "Catholic Church", "Episcopal Church", "Parish Hall"))
            return f"St. {rng.choice(_SAINTS)}'s {suffix}"
        case "church":
            kind = rng.choice(("Lutheran Church", "Community Church", "Baptist Church"))
            return f"{rng.choice(_CHURCH_ADJECTIVES)} {kind}"
        case "first":
            return f"First {rng.choice(_DENOMINATIONS)} Church"
        case "methodist":
            return f"{rng.choice(_CHURCH_ADJECTIVES)} United Methodist Church"
        case "club":
            return rng.choice(
                ("Alano Club", "Alano Society", "The Serenity Club", "Triangle Club",
                 "Fellowship Hall", "The Clubhouse", f"{rng.choice(_DIRECTIONS)} Alano Club")
            )  # fmt: skip
        case "community":
            return rng.choice(
                ("Community Center", f"{rng.choice(_DIRECTIONS)} Community Center",
                 "Senior Center", "Recreation Center", "Neighborhood House")
            )  # fmt: skip
        case "library":
            room = rng.choice(("A", "B", "C", "1", "2"))
            branch = rng.choice(("Public Library", f"{rng.choice(_DIRECTIONS)} Branch Library"))
            return f"{branch} - Meeting Room {room}"
        case "hospital":
            hospital = rng.choice(("Memorial Hospital", "Regional Medical Center",
                                   "Community Hospital"))  # fmt: skip
            return f"{hospital} - Conference Room {rng.randint(1, 4)}"
        case "post":
            return f"{rng.choice(('VFW Post', 'American Legion Post'))} {rng.randint(12, 9800)}"
        case "recovery":
            return rng.choice(("Recovery Community Center", "Recovery Café", "Wellness Center"))
        case "ymca":
            return "YMCA"
        case _:
            return rng.choice(("Town Hall", "Grange Hall", "Fire Hall", "County Annex"))


def _plan_groups(
    rng: random.Random,
    areas: list[Area],
    groups_per_area: list[int],
    fellowships: Sequence[FellowshipInfo],
    locations: list[PlannedLocation],
) -> list[PlannedGroup]:
    n_groups = sum(groups_per_area)
    # Every fellowship holds at least one group (when there are enough), then by weight.
    chosen = [f.slug for f in fellowships][:n_groups]
    weights = [FELLOWSHIP_WEIGHTS.get(f.slug, 1) for f in fellowships]
    chosen += [f.slug for f in rng.choices(fellowships, weights=weights, k=n_groups - len(chosen))]
    rng.shuffle(chosen)
    by_slug = {f.slug: f for f in fellowships}

    groups: list[PlannedGroup] = []
    for a, (area, count) in enumerate(zip(areas, groups_per_area, strict=True)):
        homes = list(area.locations)
        rng.shuffle(homes)
        k = 0
        for i in range(count):
            fellowship = by_slug[chosen[len(groups)]]
            # About one group in seven meets only online, unless a venue would go unused.
            online_only = rng.random() < 0.14 and count - i > len(homes) - k
            home = None
            if not online_only and homes:
                home = homes[k % len(homes)]
                k += 1
            town = locations[home].postal_code if home is not None else rng.choice(area.zips).code
            tz = {z.code: z.timezone for z in area.zips}[town]
            groups.append(_plan_group(rng, fellowship, a, area, home, tz, online_only))
            groups[-1].town = town
    return groups


def _plan_group(
    rng: random.Random,
    fellowship: FellowshipInfo,
    area_index: int,
    area: Area,
    home: int | None,
    tz: str,
    online_only: bool,
) -> PlannedGroup:
    spanish_factor = {"twelve_step": 1.0, "faith_based": 0.5}.get(fellowship.philosophy, 0.3)
    spanish = rng.random() < area.spanish * spanish_factor
    audience = _group_audience(rng, fellowship)
    name, day, hours = _group_name(rng, fellowship, spanish=spanish, audience=audience)
    description = rng.choice(_SPANISH_DESCRIPTIONS if spanish else _GROUP_DESCRIPTIONS)
    return PlannedGroup(
        fellowship=fellowship.slug,
        name=name,
        slug="",
        description=description,
        area=area_index,
        timezone=tz,
        home=home,
        spanish=spanish,
        audience=audience,
        online_only=online_only,
        day=day,
        hours=hours,
    )


def _group_audience(rng: random.Random, fellowship: FellowshipInfo) -> str:
    if fellowship.slug == "wfs":
        return "W"
    if fellowship.slug == "alateen":
        return "Y"
    if fellowship.slug in {"dra", "dtr"}:
        return "DD"
    r = rng.random()
    for code, p in (("W", 0.06), ("M", 0.05), ("Y", 0.03), ("LGBTQ", 0.03), ("SEN", 0.01),
                    ("POC", 0.01)):  # fmt: skip
        if r < p:
            return code
        r -= p
    return ""


def _fellowship_label(fellowship: FellowshipInfo) -> str:
    return FELLOWSHIP_LABELS.get(fellowship.slug) or fellowship.abbreviation or fellowship.name


_ANY_HOUR = (0, 24)
_PARTS_OF_DAY = {"Morning": (6, 10), "Noon": (11, 14), "Night": (17, 23)}


def _group_name(
    rng: random.Random, fellowship: FellowshipInfo, *, spanish: bool, audience: str
) -> tuple[str, int | None, tuple[int, int]]:
    """A group-style name, and the day and start hours the name promises, if any."""
    label = _fellowship_label(fellowship)
    family = fellowship.audience == Fellowship.Audience.FAMILY
    if fellowship.philosophy == Fellowship.Philosophy.TWELVE_STEP:
        if spanish:
            prefix = "Grupo Familiar" if family else "Grupo"
            return f"{prefix} {rng.choice(_SPANISH)}", None, _ANY_HOUR
        if fellowship.slug == "alateen":
            return f"{rng.choice(_FAMILY_PHRASES)} Alateen", None, _ANY_HOUR
        if family:
            kind = "AFG" if fellowship.slug == "al-anon" else "Family Group"
            return f"{rng.choice(_FAMILY_PHRASES)} {kind}", None, _ANY_HOUR
        if audience == "W" and rng.random() < 0.5:
            return f"{rng.choice(_ADJECTIVES)} Women's Group", None, _ANY_HOUR
        if audience == "M" and rng.random() < 0.5:
            return f"{rng.choice(_ADJECTIVES)} Men's Group", None, _ANY_HOUR
        r = rng.random()
        if r < 0.35:
            adjective = rng.choice(_ADJECTIVES)
            noun = rng.choice([n for n in _NOUNS if n != adjective])
            return f"{adjective} {noun} Group", None, _ANY_HOUR
        if r < 0.70:
            phrase = rng.choice(_PHRASES)
            return (f"{phrase} Group" if rng.random() < 0.5 else phrase), None, _ANY_HOUR
        if r < 0.92:
            day = rng.randrange(7)
            part = rng.choice(("Night", "Night", "Morning", "Noon"))
            # Candlelight, the last of the words, only at night.
            what = rng.choice(_FORMAT_WORDS if part == "Night" else _FORMAT_WORDS[:-1])
            return f"{DAY_NAMES[day]} {part} {what}", day, _PARTS_OF_DAY[part]
        if r < 0.97:
            return f"{rng.choice(FIRST_NAMES)}'s Group", None, _ANY_HOUR
        return f"{label} {rng.choice(_SECULAR_WORDS)} Group", None, _ANY_HOUR
    if fellowship.philosophy == Fellowship.Philosophy.BUDDHIST:
        sangha = rng.choice(_SANGHAS)
        return (f"{label} {sangha}" if rng.random() < 0.5 else f"{sangha} Sangha"), None, _ANY_HOUR
    if fellowship.philosophy == Fellowship.Philosophy.FAITH_BASED:
        church = f"{rng.choice(_CHURCH_ADJECTIVES)} {rng.choice(('Church', 'Community Church'))}"
        suffix = " en Español" if spanish else ""
        return f"{label} at {church}{suffix}", None, _ANY_HOUR
    suffix = " en Español" if spanish else ""
    return f"{label} {rng.choice(_SECULAR_WORDS)}{suffix}", None, _ANY_HOUR


# Formats by kind of fellowship, (code, weight): only the codes that fit its meetings.
_AA_FORMATS = (
    ("D", 10), ("SP", 5), ("B", 5), ("ST", 4), ("12x12", 3), ("BE", 3), ("LIT", 2), ("DR", 2),
    ("11", 1.5), ("MED", 1), ("ABSI", 1), ("TR", 1), ("LS", 0.7), ("GR", 0.7), ("H", 0.5),
    ("XT", 0.3),
)  # fmt: skip
_TWELVE_STEP_FORMATS = (
    ("D", 10), ("SP", 4), ("ST", 4), ("LIT", 4), ("BE", 3), ("MED", 1), ("11", 1), ("TR", 1),
    ("XT", 0.3),
)  # fmt: skip
_FAMILY_FORMATS = (("D", 8), ("LIT", 5), ("ST", 4), ("BE", 3), ("SP", 2), ("TR", 1.5))
_SECULAR_FORMATS = (("D", 10), ("XT", 3), ("BE", 2), ("LIT", 1))
_BUDDHIST_FORMATS = (("MED", 8), ("D", 6), ("LIT", 2), ("BE", 2), ("ST", 1))
_FAITH_FORMATS = (("ST", 5), ("D", 5), ("SP", 4), ("BE", 2), ("LIT", 2))
_OTHER_LANGUAGES = ("POL", "RUS", "KOR", "FR", "POR", "ITA", "DE", "TL", "HI", "FA")
_MEETING_AUDIENCES = (("W", 0.05), ("M", 0.04), ("Y", 0.02), ("LGBTQ", 0.02))
# Share of open meetings: family groups' closed meetings are for family and friends.
_OPEN_SHARE = {"twelve_step": 0.45, "secular": 0.85, "buddhist": 0.9, "faith_based": 0.95}


def _formats_for(fellowship: FellowshipInfo) -> tuple[tuple[str, float], ...]:
    if fellowship.slug == "aa":
        return _AA_FORMATS
    if fellowship.philosophy == Fellowship.Philosophy.TWELVE_STEP:
        if fellowship.audience == Fellowship.Audience.FAMILY:
            return _FAMILY_FORMATS
        return _TWELVE_STEP_FORMATS
    return {
        Fellowship.Philosophy.BUDDHIST: _BUDDHIST_FORMATS,
        Fellowship.Philosophy.FAITH_BASED: _FAITH_FORMATS,
    }.get(fellowship.philosophy, _SECULAR_FORMATS)


def _plan_meetings(
    rng: random.Random,
    g: int,
    group: PlannedGroup,
    count: int,
    fellowship: FellowshipInfo,
    area: Area,
    locations: list[PlannedLocation],
    codes: frozenset[str],
    slugs: SlugAllocator,
    reference: dt.datetime,
) -> list[PlannedMeeting]:
    if group.day is not None:
        days = [group.day] * count
    elif count <= 7:
        days = sorted(rng.sample(range(7), count))
    else:
        days = sorted(rng.choices(range(7), k=count))
    usual = _start_time(rng, group.hours)
    formats = _formats_for(fellowship)
    open_share = _OPEN_SHARE.get(fellowship.philosophy, 0.6)
    if fellowship.audience == Fellowship.Audience.FAMILY:
        open_share = 0.3
    long_share = 0.25 if fellowship.philosophy == Fellowship.Philosophy.TWELVE_STEP else 0.6

    planned = []
    taken: set[tuple[int, dt.time]] = set()
    for index, day in enumerate(days):
        # Groups mostly keep one start time; never two meetings at once on one day.
        start = usual if rng.random() < 0.7 else _start_time(rng, group.hours)
        for _ in range(20):
            if (day, start) not in taken:
                break
            start = _start_time(rng, group.hours)
        taken.add((day, start))
        minutes = 90 if rng.random() < long_share else 60
        end = dt.datetime.combine(dt.date(2000, 1, 2), start) + dt.timedelta(minutes=minutes)
        if group.online_only or group.home is None:
            attendance = Meeting.Attendance.ONLINE
        else:
            # The first meeting is at the group's home, so every venue has a meeting.
            attendance = rng.choices(
                (Meeting.Attendance.IN_PERSON, Meeting.Attendance.HYBRID,
                 Meeting.Attendance.ONLINE),
                weights=(0.80, 0.17, 0.03 if index else 0),
            )[0]  # fmt: skip
        location = None
        if attendance != Meeting.Attendance.ONLINE:
            location = group.home
            if index and not area.rural and len(area.locations) > 1 and rng.random() < 0.1:
                location = rng.choice(area.locations)
        tz = locations[location].timezone if location is not None else group.timezone

        status = Meeting.Status.ACTIVE
        r = rng.random()
        if r < 0.02:
            status = Meeting.Status.INACTIVE
        elif r < 0.055 and attendance != Meeting.Attendance.ONLINE:
            status = Meeting.Status.TEMPORARILY_CLOSED

        url = url_notes = phone = phone_notes = ""
        if attendance != Meeting.Attendance.IN_PERSON:
            url, url_notes, phone, phone_notes = _conference(rng, group.name)

        types = _meeting_types(
            rng, fellowship, group, formats, start, attendance,
            location is not None and locations[location].accessible, codes,
        )  # fmt: skip
        name = group.name
        if count > 1 and not group.spanish and rng.random() < 0.2:
            name = _name_with_format(name, types)
        notes = ""
        if rng.random() < 0.25:
            notes = rng.choice(_SPANISH_NOTES if group.spanish else _MEETING_NOTES)
        if status == Meeting.Status.TEMPORARILY_CLOSED:
            notes = "Not meeting in person for now; ask the group when it will resume."

        last_confirmed = None
        if rng.random() < 0.88:
            r = rng.random()
            days_ago = rng.randint(0, 90) if r < 0.55 else rng.randint(91, 365)
            if r >= 0.85:
                days_ago = rng.randint(366, CONFIRMED_WITHIN_DAYS)
            last_confirmed = reference - dt.timedelta(days=days_ago, minutes=rng.randrange(24 * 60))

        planned.append(
            PlannedMeeting(
                group=g,
                location=location,
                name=name,
                slug=slugs.allocate(meeting_slug_base(name, day)),
                day=day,
                start_time=start,
                end_time=end.time(),
                timezone=tz,
                access=(
                    Meeting.Access.OPEN if rng.random() < open_share else Meeting.Access.CLOSED
                ),
                attendance=attendance,
                status=status,
                conference_url=url,
                conference_url_notes=url_notes,
                conference_phone=phone,
                conference_phone_notes=phone_notes,
                notes=notes,
                last_confirmed=last_confirmed,
                types=types,
            )
        )
    return planned


def _start_time(rng: random.Random, hours: tuple[int, int]) -> dt.time:
    """A weighted start time whose hour is in ``hours``, [from, to)."""
    while True:
        start = rng.choices(_TIMES, cum_weights=_TIME_CUM_WEIGHTS)[0]
        if hours[0] <= start.hour < hours[1]:
            return start


def _conference(rng: random.Random, group_name: str) -> tuple[str, str, str, str]:
    """A join link and/or a dial-in: (url, url notes, phone, phone notes)."""
    kind = rng.choices(("zoom", "meet", "jitsi"), weights=(80, 15, 5))[0]
    url = url_notes = phone = phone_notes = ""
    if kind == "zoom":
        meeting_id = str(rng.randint(10**9, 10**11 - 1))
        with_url = rng.random() < 0.93
        with_phone = not with_url or rng.random() < 0.4
        if with_url:
            url = f"https://zoom.us/j/{meeting_id}"
            if rng.random() < 0.5:
                url_notes = f"Passcode: {rng.choice(_PASSWORDS)}"
        if with_phone:
            phone = f"{rng.choice(_ZOOM_BRIDGES)},,{meeting_id}#"
            if rng.random() < 0.5:
                phone_notes = f"Passcode: {rng.randint(1000, 999999)}"
    elif kind == "meet":
        letters = "abcdefghijklmnopqrstuvwxyz"
        code = "-".join("".join(rng.choices(letters, k=n)) for n in (3, 4, 3))
        url = f"https://meet.google.com/{code}"
    else:
        room = slugify(group_name).replace("-", "")[:30] or "recovery"
        url = f"https://meet.jit.si/{room}{rng.randint(100, 9999)}"
    return url, url_notes, phone, phone_notes


_IN_PERSON_ONLY = frozenset({"X", "XB", "BA", "CF", "FF", "BRK", "CAN", "OUT", "SM", "AL-AN"})


def _meeting_types(
    rng: random.Random,
    fellowship: FellowshipInfo,
    group: PlannedGroup,
    formats: tuple[tuple[str, float], ...],
    start: dt.time,
    attendance: str,
    accessible_venue: bool,
    codes: frozenset[str],
) -> tuple[str, ...]:
    """The meeting's type codes, sensible together, limited to the codes that exist."""
    chosen: list[str] = []
    n_formats = rng.choices((1, 2, 3), weights=(60, 35, 5))[0]
    names, weights = zip(*formats, strict=True)
    for code in rng.choices(names, weights=weights, k=n_formats):
        if code not in chosen:
            chosen.append(code)

    if group.audience:
        chosen.append(group.audience)
    elif fellowship.audience == Fellowship.Audience.RECOVERY:
        r = rng.random()
        for code, p in _MEETING_AUDIENCES:
            if r < p:
                chosen.append(code)
                break
            r -= p
    if fellowship.slug == "aa" and rng.random() < 0.04:
        chosen.append("A")  # an agnostic or secular AA meeting

    if group.spanish:
        chosen.append("S")
        if rng.random() < 0.1:
            chosen.append("EN")
    elif rng.random() < 0.08:
        chosen.append("EN")
    elif rng.random() < 0.012:
        chosen.append(rng.choice(_OTHER_LANGUAGES))

    in_person = attendance != Meeting.Attendance.ONLINE
    if in_person:
        if accessible_venue and rng.random() < 0.7:
            chosen.append("X")
            if rng.random() < 0.4:
                chosen.append("XB")
        if start.hour < 10 and rng.random() < 0.15:
            chosen.append("BRK")
        if start.hour >= 20 and rng.random() < 0.05:
            chosen.append("CAN")
        for code, p in (("BA", 0.02), ("CF", 0.02), ("FF", 0.01), ("OUT", 0.01), ("SM", 0.005)):
            if rng.random() < p:
                chosen.append(code)
        if fellowship.slug == "aa" and rng.random() < 0.01:
            chosen.append("AL-AN")
    if attendance != Meeting.Attendance.IN_PERSON and rng.random() < 0.3:
        chosen.append("DB")
    if rng.random() < 0.01:
        chosen.append("ASL")
    if fellowship.audience == Fellowship.Audience.RECOVERY and rng.random() < 0.04:
        chosen.append("POA")

    kept: list[str] = []
    for code in chosen:
        if code in kept or code not in codes:
            continue
        if not in_person and code in _IN_PERSON_ONLY:
            continue
        kept.append(code)
    return tuple(kept)


_FORMAT_NAMES = {"B": "Big Book Study", "ST": "Step Study", "SP": "Speaker Meeting",
                 "BE": "Newcomers Meeting", "MED": "Meditation", "W": "Women's Meeting",
                 "M": "Men's Meeting"}  # fmt: skip


def _name_with_format(name: str, types: tuple[str, ...]) -> str:
    """The group's name with the meeting's format: "Sunrise Serenity Step Study"."""
    if any(word in name for word in ("Study", "Meeting", "Discussion", "Meditation")):
        return name
    for code in types:
        if (word := _FORMAT_NAMES.get(code)) and word not in name:
            return f"{name.removesuffix(' Group')} {word}"
    return name


# --- the database ------------------------------------------------------------------------

ProgressCallback = Callable[[str, int, int], None]


def load_zips() -> list[ZipPoint]:
    """The gazetteer's US ZIP centroids usable for venues, in code order.

    Skips territories, military ZIPs, rows without a time zone, and the gazetteer's
    placeholder rows at latitude 0, longitude 0.
    """
    rows = (
        Place.objects.filter(country="US", state__in=STATES)
        .exclude(timezone="")
        .exclude(latitude=0, longitude=0)
        .order_by("code")
        .values_list("code", "city", "city_key", "state", "latitude", "longitude", "timezone")
    )
    return [ZipPoint(*row) for row in rows.iterator(chunk_size=5000)]


def load_fellowships() -> list[FellowshipInfo]:
    rows = Fellowship.objects.order_by("slug").values_list(
        "slug", "name", "abbreviation", "philosophy", "audience"
    )
    return [FellowshipInfo(*row) for row in rows]


def load_spec_types() -> dict[str, int]:
    """Spec type code -> primary key, for the codes the database has."""
    return dict(MeetingType.objects.filter(fellowship=None).values_list("code", "pk"))


def check_ready(*, zips: list, fellowships: list, types: dict) -> None:
    """Raise ``DemoDataError`` saying which command to run when reference data is missing."""
    if not zips:
        raise DemoDataError("The gazetteer of places is empty. Run `manage.py load_places` first.")
    if not fellowships or not types:
        raise DemoDataError(
            "There are no fellowships or meeting types. "
            "Run `manage.py loaddata fellowships meeting_types` first."
        )


def write_plan(
    plan: Plan, *, type_ids: dict[str, int], progress: ProgressCallback | None = None
) -> Summary:
    """Insert a plan with bulk inserts, in chunks, inside one transaction."""
    report = progress or (lambda stage, done, total: None)
    with transaction.atomic():
        location_ids: list[int] = []
        for start, chunk in _chunks(plan.locations):
            rows = [_location_row(loc) for loc in chunk]
            insert_objects(Location, rows)
            location_ids.extend(row.pk for row in rows)
            report("locations", start + len(chunk), len(plan.locations))

        fellowship_ids = dict(Fellowship.objects.values_list("slug", "pk"))
        group_ids: list[int] = []
        for start, chunk in _chunks(plan.groups):
            rows = [
                Group(
                    fellowship_id=fellowship_ids[g.fellowship],
                    name=g.name,
                    slug=g.slug,
                    description=g.description,
                    status=Group.Status.ACTIVE,
                )
                for g in chunk
            ]
            insert_objects(Group, rows)
            group_ids.extend(row.pk for row in rows)
            report("groups", start + len(chunk), len(plan.groups))

        links = 0
        now = timezone.now()
        # bulk inserts skip Meeting.save(), which keeps each meeting's map cell.
        cells = [map_cell(loc.latitude, loc.longitude) for loc in plan.locations]
        for start, chunk in _chunks(plan.meetings):
            rows = [_meeting_row(m, group_ids, location_ids, cells, now) for m in chunk]
            insert_objects(Meeting, rows)
            pairs = [
                (row.pk, type_ids[code])
                for row, m in zip(rows, chunk, strict=True)
                for code in m.types
            ]
            _insert_type_links(pairs)
            links += len(pairs)
            report("meetings", start + len(chunk), len(plan.meetings))
    return Summary(
        locations=len(location_ids),
        groups=len(group_ids),
        meetings=len(plan.meetings),
        type_links=links,
    )


def _insert_type_links(pairs: list[tuple[int, int]]) -> None:
    """Insert (meeting id, type id) rows into ``Meeting.types.through``, many a statement.

    The rows are two integers each, nearly three per meeting: building a model instance
    per row for bulk_create took a sixth of a large seed for no checking worth having.
    """
    insert_rows(Meeting.types.through, ["meeting_id", "meetingtype_id"], pairs)


def _chunks(items: list) -> Iterable[tuple[int, list]]:
    for start in range(0, len(items), WRITE_CHUNK):
        yield start, items[start : start + WRITE_CHUNK]


def _location_row(loc: PlannedLocation) -> Location:
    # bulk_create skips Location.save(), which keeps the unit vector in step.
    x, y, z = unit_vector(loc.latitude, loc.longitude)
    return Location(
        name=loc.name,
        address=loc.address,
        city=loc.city,
        state=loc.state,
        postal_code=loc.postal_code,
        country="US",
        latitude=loc.latitude,
        longitude=loc.longitude,
        approximate=loc.approximate,
        timezone=loc.timezone,
        directions=loc.directions,
        accessibility_notes=loc.accessibility_notes,
        geo_x=x,
        geo_y=y,
        geo_z=z,
    )


def _meeting_row(
    m: PlannedMeeting,
    group_ids: list[int],
    location_ids: list[int],
    cells: list[int | None],
    now: dt.datetime,
) -> Meeting:
    meeting = Meeting(
        group_id=group_ids[m.group],
        location_id=location_ids[m.location] if m.location is not None else None,
        cell=cells[m.location] if m.location is not None else None,
        name=m.name,
        slug=m.slug,
        day=m.day,
        start_time=m.start_time,
        end_time=m.end_time,
        timezone=m.timezone,
        access=m.access,
        attendance=m.attendance,
        status=m.status,
        conference_url=m.conference_url,
        conference_url_notes=m.conference_url_notes,
        conference_phone=m.conference_phone,
        conference_phone_notes=m.conference_phone_notes,
        notes=m.notes,
        last_confirmed=m.last_confirmed,
    )
    meeting.set_next_start(now)  # bulk_create skips save(); cached per (zone, day, times)
    return meeting


def delete_directory() -> int:
    """Delete every meeting, group and location, with their history and whatever hangs
    off them (reports, organizer links); not fellowships, types or places.

    The directory is being replaced whole, so the deletion itself is not recorded in the
    history: that would write a historical row, and query its types, for every meeting.
    """
    with listings_changing(), transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        Meeting.types.through.objects.all().delete()
        deleted = Meeting.objects.all().delete()[1].get(Meeting._meta.label, 0)
        Group.objects.all().delete()
        Location.objects.all().delete()
        for model in (Meeting, Group, Location):
            model.history.all().delete()
    return deleted


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector: the plan holds millions of long-lived objects, none in
    cycles, and rescanning them as rows are built costs about a quarter of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_reference() -> dt.datetime:
    """Midnight UTC today: the same seed gives the same data all day, and stays recent."""
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(0, 0), tzinfo=dt.UTC)


def seed_demo(
    *,
    meetings: int = DEFAULT_MEETINGS,
    seed: int = 1,
    replace: bool = False,
    reference: dt.datetime | None = None,
    progress: ProgressCallback | None = None,
) -> Summary:
    """Fill the directory with a demo of ``meetings`` meetings.

    Refuses when meetings already exist, unless ``replace``, which first deletes every
    meeting, group and location, in the same transaction as the new rows.
    """
    zips = load_zips()
    fellowships = load_fellowships()
    type_ids = load_spec_types()
    check_ready(zips=zips, fellowships=fellowships, types=type_ids)
    existing = Meeting.objects.count()
    if existing and not replace:
        raise DemoDataError(
            f"The database already has {existing:,} meetings. "
            "Run with --replace to delete every meeting, group and location and seed anew."
        )
    # Bulk inserts send no signals: the cached search pages and feeds are dropped once.
    with _gc_paused(), listings_changing(), transaction.atomic():
        deleted = delete_directory() if replace else 0
        plan = build_plan(
            zips=zips,
            fellowships=fellowships,
            type_codes=type_ids,
            meetings=meetings,
            seed=seed,
            reference=reference or default_reference(),
            taken_group_slugs=Group.objects.values_list("slug", flat=True),
            taken_meeting_slugs=Meeting.objects.values_list("slug", flat=True),
        )
        # With DEBUG on, every statement's tens of thousands of values would be quoted
        # into the query log: a tenth of a large seed, for a log nobody reads.
        with override_settings(DEBUG=False):
            summary = write_plan(plan, type_ids=type_ids, progress=progress)
    return Summary(
        locations=summary.locations,
        groups=summary.groups,
        meetings=summary.meetings,
        type_links=summary.type_links,
        deleted_meetings=deleted,
    )
