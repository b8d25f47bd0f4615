"""Importing a source's meetings into one fellowship: ``meetings_import`` creates,
updates, leaves alone and (when asked) retires meetings in one transaction with bulk
writes, and says what it did in an ``ImportSummary``. The formats that read a source
are pure functions in ``meetings.formats``."""

import dataclasses
import datetime as dt
import functools
import hashlib
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from directory.models import Fellowship, Group, Location, Place, normalize_city
from meetings.bulk import (
    BATCH,
    in_batches,
    insert_objects,
    insert_rows,
    preparer,
    update_objects,
)
from meetings.formats import (
    IN_PERSON_ONLY_TYPES,
    ImportedLocation,
    ImportedMeeting,
    Rejected,
    attendance_of,
    is_http_url,
)
from meetings.listings import listings_changing
from meetings.models import Meeting, MeetingType, default_end_time
from recoverymap.lib.geo import (
    MILES_PER_DEGREE_LATITUDE,
    boxes_around,
    great_circle_miles,
    is_timezone,
    map_cell,
    timezone_at,
    unit_vector,
)

# Two records at one address whose points are further apart than this are two places.
SAME_PLACE_MILES = 0.25
# Derived from the day, times and zone: written with them (Meeting.set_next_start()).
NEXT_START_FIELDS = ("next_start", "next_end")
# Meeting fields an import sets; a re-import compares these (and the types) to decide
# whether a meeting changed.
IMPORTED_FIELDS = (
    "name",
    "day",
    "start_time",
    "end_time",
    "timezone",
    "access",
    "attendance",
    "status",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "notes",
    "group_id",
    "location_id",
)
# Location fields an import fills when a location we already have leaves them empty;
# it never overwrites what organizers (or another feed) wrote there.
FILLABLE_LOCATION_FIELDS = ("name", "directions", "region", "sub_region")
_DAY_SUFFIX = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_SLUG_OK = re.compile(r"^[-a-zA-Z0-9_]+$")


# The summary -------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    source: str
    fellowship: str
    dry_run: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    # Kept, but inactive: no address people can find and no way to join.
    not_attendable: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Rows kept with something dropped or fixed (contradictory types, a bad end time).
    adjusted: list[tuple[str, str]] = field(default_factory=list)
    # Codes we do not know, kept as the fellowship's own types: code -> meetings.
    unknown_types: Counter = field(default_factory=Counter)
    new_groups: int = 0
    new_locations: int = 0
    new_types: int = 0
    geocoded: int = 0
    needs_geocoding: int = 0
    seconds: float = 0.0

    def lines(self, *, limit: int = 25) -> list[str]:
        """The summary as lines of text for a person (the command prints these)."""
        verb = "would be " if self.dry_run else ""
        out = [
            f"{'Dry run: nothing written. ' if self.dry_run else ''}"
            f"Read {self.read:,} meetings from {self.source} for {self.fellowship} "
            f"in {self.seconds:.1f} s.",
            f"  created      {self.created:>7,}",
            f"  updated      {self.updated:>7,}",
            f"  unchanged    {self.unchanged:>7,}",
            f"  deactivated  {self.deactivated:>7,}",
            f"  skipped      {len(self.skipped):>7,}",
        ]
        if self.not_attendable:
            out.append(
                f"  {self.not_attendable:,} meetings {verb}kept inactive: no address people "
                "can find and no way to join online."
            )
        out.append(
            f"  new groups {self.new_groups:,}, new locations {self.new_locations:,}, "
            f"new types {self.new_types:,}; geocoded {self.geocoded:,}, "
            f"awaiting geocoding {self.needs_geocoding:,}."
        )
        if self.unknown_types:
            codes = ", ".join(f"{code} ×{n}" for code, n in self.unknown_types.most_common())
            out.append(f"Unknown types, kept as {self.fellowship}'s own: {codes}")
        for title, rows in (("Skipped", self.skipped), ("Adjusted", self.adjusted)):
            if not rows:
                continue
            out.append(f"{title}:")
            out.extend(f"  {name}: {reason}" for name, reason in rows[:limit])
            if len(rows) > limit:
                reasons = Counter(reason.split(" '")[0] for _name, reason in rows[limit:])
                more = "; ".join(f"{r} ×{n}" for r, n in reasons.most_common(5))
                out.append(f"  … and {len(rows) - limit:,} more ({more})")
        return out


class ImportFailed(Exception):
    """The import as a whole cannot go ahead; nothing was written."""


class ImportHeld(Exception):
    """The import would retire more of the source's active meetings than allowed;
    nothing was written. ``summary`` says what it would have done."""

    def __init__(self, summary: "ImportSummary", active: int):
        self.summary = summary
        self.active = active
        super().__init__(f"would retire {summary.deactivated:,} of {active:,} active meetings")


# Importing ---------------------------------------------------------------------------


def meetings_import(
    *,
    records: Iterable[ImportedMeeting | Rejected],
    fellowship: Fellowship,
    source: str,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    type_map: Mapping[str, str] | None = None,
    default_timezone: str = "",
    geocode: bool = True,
    user=None,
    progress: Callable[[str, int, int], None] | None = None,
    feed=None,
    max_retire_percent: int | None = None,
) -> ImportSummary:
    """Apply a source's meetings to ``fellowship``: create, update, leave alone, and
    with ``deactivate_missing`` retire (never delete) the meetings that ``source`` gave
    before and no longer does. All or nothing: one transaction, bulk writes, every
    change recorded in the history with the reason "import <source>".

    ``records`` come from ``meetings.formats.parse``. ``type_map`` reads a source's code
    as another ({"BB": "B"}), or as the fellowship's own type whatever the spec says it
    means ({"HE": ""}: Minneapolis's HE is not Hebrew). ``default_timezone`` is the zone
    of meetings whose zone cannot be known from the source, the address or the point.
    New addresses without coordinates are geocoded (unless ``geocode`` is false or in a
    dry run) before the transaction opens, so no write waits on the network.

    ``feed`` is the registered ``Source`` the meetings come from (``source`` is then its
    ``import_key``). With ``max_retire_percent``, an import that would retire a larger
    share of the source's active meetings raises ImportHeld before writing anything.
    """
    started = time.perf_counter()
    if default_timezone and not is_timezone(default_timezone):
        raise ImportFailed(f"{default_timezone!r} is not a time zone name.")
    importer = _Importer(
        fellowship=fellowship,
        source=_source_id(source),
        type_map=dict(type_map or {}),
        default_timezone=default_timezone,
        dry_run=dry_run,
        user=user,
        progress=progress or (lambda stage, done, total: None),
        feed=feed,
    )
    importer.read(records)
    if deactivate_missing and not importer.present:
        raise ImportFailed(
            "The source has no meetings; refusing to deactivate every meeting it gave before."
        )
    importer.place_locations(geocode=geocode and not dry_run)
    importer.plan(deactivate_missing=deactivate_missing)
    active = importer.active_before
    if (
        max_retire_percent is not None
        and importer.summary.deactivated
        and importer.summary.deactivated * 100 > active * max_retire_percent
    ):
        raise ImportHeld(importer.summary, active)
    if not dry_run:
        importer.write()
    importer.summary.seconds = time.perf_counter() - started
    return importer.summary


# The version of how records become meetings, in every sync's record digests
# (Meeting.source_fingerprint): raise it when a change to the reading (types, places,
# fields) should reach meetings whose records did not change.
READING_RULES = 1

# What an organizer may change on an imported meeting and keep through later imports.
KEEPABLE_FIELDS = tuple(name for name in IMPORTED_FIELDS if not name.endswith("_id"))


def field_as_json(value):
    """A field's value as ``Meeting.organizer_kept`` stores it: times as text."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _source_id(source: str) -> str:
    """The source as stored on meetings (at most 200 characters, still unique)."""
    if len(source) <= 200:
        return source
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{source[:180]}#{digest}"


def _fit(model, name: str, value: str) -> str:
    """``value`` cut to the field's max_length: PostgreSQL refuses longer text."""
    limit = model._meta.get_field(name).max_length
    return value[:limit] if limit and isinstance(value, str) else value


_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "parkway": "pkwy",
    "highway": "hwy",
    "terrace": "ter",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "suite": "ste",
}


def normalize_street(address: str) -> str:
    """A street address folded for matching: "3424 Kossuth Avenue" = "3424 Kossuth Ave."."""
    words = re.sub(r"[^\w\s]", " ", address.lower()).split()
    return " ".join(_STREET_WORDS.get(w, w) for w in words)


@functools.lru_cache(maxsize=65536)
def _address_key(address, city, state, postal_code, approximate) -> tuple:
    postal = re.sub(r"\s", "", postal_code.upper()).split("-")[0]
    return (
        normalize_street(address),
        normalize_city(city),
        state.strip().upper(),
        postal,
        approximate,
    )


# Beyond a record's point, the furthest a place it can be found at lies in degrees: the
# cells ``_Importer._nearby`` looks in are 0.01° either side of the point's own, rounded.
_NEARBY_DEGREES = 0.03
_NEARBY_MILES = _NEARBY_DEGREES * MILES_PER_DEGREE_LATITUDE


def _scope(locations: list[ImportedLocation]) -> Q | None:
    """The locations an import of ``locations`` can resolve to, or None for all: those
    not on the map yet (a record with a point may give them one), those within the
    boxes around the records' points (with a margin), and, for a record found by its
    address alone, every location with its postal code, or without one every location
    in its state (one address has one postal code and is in one state: a superset, so
    the first place at an address is the same as when every location is read)."""
    scope = Q(latitude__isnull=True)
    points = [(loc.latitude, loc.longitude) for loc in locations if loc.has_point]
    for south, north, west, east in boxes_around(points, _NEARBY_MILES):
        scope |= Q(
            latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
        )
    states, postals = set(), set()
    for loc in locations:
        if loc.has_point:
            continue
        key = _address_key(loc.address, loc.city, loc.state, loc.postal_code, loc.is_approximate)
        if not any(key[:4]):  # found by no address: always a new place
            continue
        if key[3].isdigit():
            # A place at the same address has the same postal code: those containing it
            # (a ZIP stored as "55350-1234" too), not a whole state's locations.
            postals.add(key[3])
        else:
            states.add(key[2])
    for postal in sorted(postals):
        scope |= Q(postal_code__contains=postal)
    for state in sorted(states):
        if not state or not state.isascii():
            # The database folds case only for ASCII (SQLite), and "no state" matches
            # any spacing: read them all.
            return None
        scope |= Q(state__icontains=state)
    return scope


def _label(record: ImportedMeeting) -> str:
    """How the summary names a record: its slug, or its id and name when it has no slug."""
    return record.key if record.slug else f"{record.key} ({record.name[:40]})"


def _group_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _slug_base(base: str, limit: int = 64) -> str:
    """The first slug ``_free_slug`` tries for ``base``."""
    return base[:limit].strip("-") or "meeting"


def _free_slug(base: str, taken, limit: int = 64) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is free; at most ``limit`` long.
    ``taken`` is a set or a ``_TakenSlugs``."""
    base = _slug_base(base, limit)
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: limit - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(slug)
    return slug


class _TakenSlugs:
    """Which slugs of ``queryset`` are taken, read only as far as an import asks: the
    slugs it expects to want, in batches up front, and any other (a numbered form after
    a collision) one at a time when asked. Reading every slug of the directory cost each
    import of a national sync a scan of 100,000 rows."""

    def __init__(self, queryset, expected: Iterable[str] = ()):
        self.queryset = queryset
        self.known: dict[str, bool] = {}
        wanted = sorted(set(expected))
        for i in range(0, len(wanted), BATCH):
            chunk = wanted[i : i + BATCH]
            found = set(self.queryset.filter(slug__in=chunk).values_list("slug", flat=True))
            self.known.update((slug, slug in found) for slug in chunk)

    def __contains__(self, slug: str) -> bool:
        if slug not in self.known:
            self.known[slug] = self.queryset.filter(slug=slug).exists()
        return self.known[slug]

    def add(self, slug: str) -> None:
        self.known[slug] = True


@dataclass(eq=False)
class _Place:
    """A location a record resolves to: one we have (``id``) or one to create (``new``)."""

    id: int | None = None
    new: Location | None = None
    timezone: str = ""
    latitude: float | None = None
    longitude: float | None = None
    fill: dict = field(default_factory=dict)  # empty fields of ours the source can fill
    existing: dict = field(default_factory=dict)  # those fields' current values
    state: str = ""
    zone_hint: str = ""  # the first record's own zone, for a new location
    gazetteer_zone: str = ""  # the zone of the ZIP code or town it was placed at

    def said(self, name: str) -> str:
        """What the place says (or will, once written) in the location field ``name``."""
        if self.new is not None:
            return getattr(self.new, name) or ""
        return self.fill.get(name) or self.existing.get(name) or ""

    def fits(self, loc: ImportedLocation) -> bool:
        """Whether a record's location can be this place at its address: the same name
        (or either has none) and the same notes. Two rows at one address that name or
        describe it otherwise ("Meets in the basement") are two places, so each meeting
        keeps what its source says of where it meets."""
        name, said = _fit(Location, "name", loc.name), self.said("name")
        return (not name or not said or name == said) and (loc.notes or "") == self.said(
            "directions"
        )


def _place_cell(place: _Place | None) -> int | None:
    """The map cell of a record's place (Meeting.cell): a new location's point may have
    come from the geocoder or the gazetteer since the place was read."""
    if place is None:
        return None
    point = place.new if place.new is not None else place
    return map_cell(point.latitude, point.longitude)


@dataclass(eq=False)
class _Row:
    record: ImportedMeeting
    fields: dict
    types: set  # ("spec", code) or ("local", code)
    place: _Place | None
    group_key: str
    kept: dict | None = None  # the meeting's organizer_kept after this import
    fingerprint: str = ""  # of the record, when the import keeps them (a sync)
    # When the source says the meeting last changed (never later than now): the
    # meeting's last_changed, kept as long as the source keeps it.
    updated: dt.datetime | None = None


class _Importer:
    def __init__(
        self, *, fellowship, source, type_map, default_timezone, dry_run, user, progress, feed=None
    ):
        self.fellowship = fellowship
        self.feed_id = feed.pk if feed is not None else None
        self.source = source
        self.type_map = type_map
        self.default_timezone = default_timezone
        self.user = user
        self.progress = progress
        self.reason = f"import {source}"[:100]
        self.summary = ImportSummary(source=source, fellowship=fellowship.slug, dry_run=dry_run)
        self.present: set[str] = set()
        self.rows: list[_Row] = []
        spec = list(
            MeetingType.objects.filter(fellowship=None).values_list("id", "code", "name", "name_es")
        )
        self.spec_ids = {code: pk for pk, code, _n, _e in spec}
        self.spec_upper = {code.upper(): code for code in self.spec_ids}
        self.spec_names = {}
        for _pk, code, name, name_es in spec:
            for label in (name, name_es):
                if label:
                    self.spec_names.setdefault(label.casefold(), code)
        self.local_ids = dict(
            MeetingType.objects.filter(fellowship=fellowship).values_list("code", "id")
        )
        self.new_local_types: dict[str, MeetingType] = {}
        self.local_names: dict[str, str] = {}  # a name the source gives its own code
        # A sync skips the records it read before, unchanged: their digests start with
        # one of how they are read (a new type map or zone reads every record again).
        self.fingerprinting = feed is not None and not dry_run
        self.read_as = repr(
            (READING_RULES, fellowship.pk, sorted(type_map.items()), default_timezone)
        )

    # -- reading --------------------------------------------------------------------

    def read(self, records):
        summary = self.summary
        records = list(records)
        fingerprints, same = self._fingerprints(records)
        self._load_locations(
            [
                r.location
                for i, r in enumerate(records)
                if isinstance(r, ImportedMeeting) and r.location and i not in same
            ]
        )
        seen: set[str] = set()
        for i, item in enumerate(records):
            summary.read += 1
            if isinstance(item, Rejected):
                summary.skipped.append((item.name, item.reason))
                if item.key:
                    self.present.add(item.key)
                continue
            if item.key in seen:
                summary.skipped.append((_label(item), "slug already seen in this source"))
                continue
            seen.add(item.key)
            self.present.add(item.key)
            if i in same:
                summary.unchanged += 1
                continue
            row = self._row(item)
            if row is not None:
                row.fingerprint = fingerprints.get(i, "")
                self.rows.append(row)
            if summary.read % 1000 == 0:
                self.progress("reading", summary.read, 0)

    def _fingerprints(self, records: list) -> tuple[dict[int, str], set[int]]:
        """Each meeting record's digest (by position), and the positions of those the
        source's meeting of that key was last written from: left as they are, unread.
        A retired meeting is always read again (its record may bring it back)."""
        if not self.fingerprinting:
            return {}, set()
        fingerprints = {
            i: hashlib.blake2b((self.read_as + repr(record)).encode(), digest_size=16).hexdigest()
            for i, record in enumerate(records)
            if isinstance(record, ImportedMeeting)
        }
        stored = dict(
            Meeting.objects.filter(source=self.source)
            .exclude(status=Meeting.Status.INACTIVE)
            .exclude(source_fingerprint="")
            .order_by()
            .values_list("source_key", "source_fingerprint")
            .iterator(chunk_size=5000)
        )
        same, keys = set(), set()
        for i, digest in fingerprints.items():
            key = records[i].key
            if key not in keys and stored.get(key[:255]) == digest:
                same.add(i)
            keys.add(key)
        return fingerprints, same

    def _row(self, record: ImportedMeeting) -> _Row | None:
        adjusted = self.summary.adjusted
        key = _label(record)
        adjusted.extend((key, warning) for warning in record.warnings)
        record = self._clean_join(record)
        spec, local = self._types(record)
        for pair, what in ((("O", "C"), "open and closed"), (("M", "W"), "men and women")):
            if set(pair) <= spec:
                spec -= set(pair)
                adjusted.append((key, f"both {what} ({'+'.join(pair)}): neither kept"))
        tc = "TC" in spec
        attendance = attendance_of(record, tc=tc)
        status = Meeting.Status.TEMPORARILY_CLOSED if tc else Meeting.Status.ACTIVE
        has_place = record.location is not None
        if attendance == "inactive":
            # Kept so the listing is not lost, but not shown: nowhere to go, no way to join.
            if not has_place and not (record.conference_url or record.conference_phone):
                self.summary.skipped.append((key, "no address and no way to join online"))
                return None
            attendance = (
                "online" if record.conference_url or record.conference_phone else "in_person"
            )
            if not tc:
                status = Meeting.Status.INACTIVE
                self.summary.not_attendable += 1
        if not record.published:
            status = Meeting.Status.INACTIVE
        if attendance == "online" and not tc and (odd := spec & IN_PERSON_ONLY_TYPES):
            spec -= odd
            adjusted.append(
                (key, f"in-person types on an online meeting dropped: {', '.join(sorted(odd))}")
            )
        access = (
            Meeting.Access.OPEN if "O" in spec else Meeting.Access.CLOSED if "C" in spec else ""
        )
        types = {("spec", code) for code in spec - {"O", "C", "TC"}}
        types |= {("local", code) for code in local}
        fields = {
            "name": _fit(Meeting, "name", record.name),
            "day": record.day,
            "start_time": record.start_time,
            "end_time": record.end_time or default_end_time(record.start_time),
            "timezone": record.timezone,
            "access": access,
            "attendance": attendance,
            "status": status,
            "conference_url": record.conference_url,
            "conference_url_notes": _fit(
                Meeting, "conference_url_notes", record.conference_url_notes
            ),
            "conference_phone": _fit(Meeting, "conference_phone", record.conference_phone),
            "conference_phone_notes": _fit(
                Meeting, "conference_phone_notes", record.conference_phone_notes
            ),
            "notes": record.notes,
        }
        place = self._place(record.location, record.timezone) if has_place else None
        group_name = _fit(Group, "name", record.group or record.name)
        updated = min(record.updated, timezone.now()) if record.updated else None
        return _Row(record, fields, types, place, group_name, updated=updated)

    def _clean_join(self, record: ImportedMeeting) -> ImportedMeeting:
        url = record.conference_url
        if not url or is_http_url(url):
            if len(url) <= 500:
                return record
        elif re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", url, re.I) and is_http_url("https://" + url):
            return dataclasses.replace(record, conference_url="https://" + url)
        self.summary.adjusted.append(
            (_label(record), f"join link {url[:80]!r} is not an http(s) link: dropped")
        )
        return dataclasses.replace(record, conference_url="")

    def _types(self, record: ImportedMeeting) -> tuple[set[str], dict[str, str]]:
        """(spec codes, the fellowship's own {code: name}) for a record's types."""
        spec, local = set(), {}
        for given in record.types:
            wanted = self.type_map.get(given, given)
            code = self._spec_code(wanted) if wanted else None
            if code:
                spec.add(code)
                continue
            if len(given) > 20 or " " in given:
                # A type written as a name ("Big Book Study"): its code from the name.
                local[slugify(given).upper()[:20] or given[:20]] = given
            else:
                local[given] = given
        for code, name in record.local_types.items():
            local[code[:20]] = name or code
        for code, name in local.items():
            self.summary.unknown_types[code] += 1
            self.local_names.setdefault(code, name)
        return spec, local

    def _spec_code(self, token: str) -> str | None:
        if token in self.spec_ids:
            return token
        return self.spec_upper.get(token.upper()) or self.spec_names.get(token.casefold())

    # -- locations --------------------------------------------------------------------

    def _load_locations(self, wanted: list[ImportedLocation]):
        """Index the locations the source's ``wanted`` locations can be, by address and
        point, in one query: when each of them has a point, those around the points
        (and those not on the map yet); else every location (one without a point is
        found by its address alone, wherever that is)."""
        # (address key, lat to 2 places, lng to 2 places) -> places there: a record's
        # point is compared with those of its own and the eight neighbouring cells.
        self.cells: dict[tuple, list[_Place]] = defaultdict(list)
        self.unplaced: dict[tuple, list[_Place]] = defaultdict(list)  # no point yet
        self.at_address: dict[tuple, list[_Place]] = defaultdict(list)  # first first
        rows = Location.objects.values_list(
            "id",
            "address",
            "city",
            "state",
            "postal_code",
            "approximate",
            "latitude",
            "longitude",
            "timezone",
            *FILLABLE_LOCATION_FIELDS,
        )
        if (scope := _scope(wanted)) is not None:
            rows = rows.filter(scope)
        for pk, address, city, state, postal, approx, lat, lng, tz, *fillable in rows.iterator(
            chunk_size=5000
        ):
            place = _Place(
                id=pk,
                timezone=tz,
                latitude=lat,
                longitude=lng,
                state=state.upper(),
                existing=dict(zip(FILLABLE_LOCATION_FIELDS, fillable, strict=True)),
            )
            self._index(place, _address_key(address, city, state, postal, approx))

    def _index(self, place: _Place, key: tuple):
        if place.latitude is None:
            self.unplaced[key].append(place)
        else:
            self.cells[(key, round(place.latitude, 2), round(place.longitude, 2))].append(place)
        if any(key[:4]):
            self.at_address[key].append(place)

    def _nearby(self, key: tuple, loc: ImportedLocation) -> _Place | None:
        """A place at this address the record fits, within SAME_PLACE_MILES of its point."""
        lat, lng = loc.latitude, loc.longitude
        row, column = round(lat, 2), round(lng, 2)
        for dlat in (0, -0.01, 0.01):
            for dlng in (0, -0.01, 0.01):
                cell = (key, round(row + dlat, 2), round(column + dlng, 2))
                for place in self.cells.get(cell, ()):
                    miles = great_circle_miles(lat, lng, place.latitude, place.longitude)
                    if miles <= SAME_PLACE_MILES and place.fits(loc):
                        return place
        return None

    def _place(self, loc: ImportedLocation, zone: str) -> _Place:
        """The place a record's location is: one we have or have planned, else a new one.
        Same address (folded), the same name and notes (``_Place.fits``) and, when both
        have points, within SAME_PLACE_MILES."""
        key = _address_key(loc.address, loc.city, loc.state, loc.postal_code, loc.is_approximate)
        if loc.has_point:
            place = self._nearby(key, loc)
            waiting = self.unplaced.get(key, [])
            if place is None and (fitting := [p for p in waiting if p.fits(loc)]):
                place = fitting[0]  # it gets this point
                waiting.remove(place)
                place.latitude, place.longitude = loc.latitude, loc.longitude
                if place.id is not None:
                    place.fill.update(
                        latitude=loc.latitude, longitude=loc.longitude, needs_geocoding=False
                    )
                else:
                    place.new.latitude, place.new.longitude = loc.latitude, loc.longitude
                self._index(place, key)
        else:
            place = next((p for p in self.at_address.get(key, ()) if p.fits(loc)), None)
        if place is None:
            place = _Place(
                new=self._new_location(loc),
                latitude=loc.latitude,
                longitude=loc.longitude,
                state=loc.state.strip().upper(),
                zone_hint=zone,
            )
            self._index(place, key)
        elif place.id is not None:
            self._fill(place, loc)
        return place

    def _new_location(self, loc: ImportedLocation) -> Location:
        def fit(name, value):
            return _fit(Location, name, value)

        return Location(
            name=fit("name", loc.name),
            address=fit("address", loc.address),
            city=fit("city", loc.city),
            state=fit("state", loc.state),
            postal_code=fit("postal_code", loc.postal_code),
            country=loc.country or "US",
            region=fit("region", loc.region),
            sub_region=fit("sub_region", loc.sub_region),
            latitude=loc.latitude,
            longitude=loc.longitude,
            approximate=loc.is_approximate,
            directions=loc.notes,
        )

    def _fill(self, place: _Place, loc: ImportedLocation):
        offered = {
            "name": loc.name,
            "directions": loc.notes,
            "region": loc.region,
            "sub_region": loc.sub_region,
        }
        for name, value in offered.items():
            if value and not place.existing[name] and name not in place.fill:
                place.fill[name] = _fit(Location, name, value)

    def place_locations(self, *, geocode: bool):
        """Points and time zones for the new locations: the source's point, else the
        geocoder (when allowed), else the gazetteer's ZIP code or town centre."""
        from meetings.places import GeocodingFailed, lookup

        new = list(dict.fromkeys(r.place for r in self.rows if r.place and r.place.new is not None))
        missing = [p for p in new if p.new.latitude is None]
        budget = settings.IMPORT_GEOCODE_LIMIT if geocode and settings.GEOCODER else 0
        failures = 0
        for place in missing:
            loc = place.new
            if budget <= 0 or loc.approximate or failures >= 3:
                continue
            budget -= 1
            try:
                found = lookup(loc.formatted_address, country=loc.country)
            except GeocodingFailed:
                failures += 1  # the geocoder is down: stop asking, geocode_pending retries
                continue
            if found is not None:
                loc.latitude, loc.longitude = found.latitude, found.longitude
                place.latitude, place.longitude = found.latitude, found.longitude
                self.summary.geocoded += 1
        self._centroids([p for p in missing if p.new.latitude is None])
        for place in new:
            loc = place.new
            loc.timezone = (
                (place.zone_hint if is_timezone(place.zone_hint) else "")
                or (timezone_at(loc.latitude, loc.longitude) if loc.latitude is not None else "")
                or place.gazetteer_zone
                or self.default_timezone
            )
            place.timezone = loc.timezone
            loc.geo_x, loc.geo_y, loc.geo_z = unit_vector(loc.latitude, loc.longitude)
        # Still unknown (no point, a ZIP code the gazetteer lacks): the zone most of the
        # source's other places in the same state are in.
        zones_by_state = defaultdict(Counter)
        for place in {r.place for r in self.rows if r.place is not None}:
            if place.timezone and place.state:
                zones_by_state[place.state][place.timezone] += 1
        for place in new:
            if not place.timezone and (zones := zones_by_state.get(place.state)):
                place.timezone = place.new.timezone = zones.most_common(1)[0][0]

    def _centroids(self, places: list[_Place]):
        """The gazetteer's point for addresses nobody could place: the ZIP code's centre,
        else the town's. A street address stays flagged for geocode_pending (its door is
        not known); an approximate one is as placed as it will get."""
        codes = {p.new.postal_code.split("-")[0].strip() for p in places if p.new.postal_code}
        gazetteer = {}
        codes = sorted(codes)
        for i in range(0, len(codes), BATCH):
            for place in Place.objects.filter(country="US", code__in=codes[i : i + BATCH]):
                gazetteer[place.code] = place
        for place in places:
            loc = place.new
            found = gazetteer.get(loc.postal_code.split("-")[0].strip())
            if found is not None:
                lat, lng, zone = found.latitude, found.longitude, found.timezone
            elif (
                loc.city
                and loc.state
                and (town := Place.objects.resolve(f"{loc.city}, {loc.state}"))
            ):
                lat, lng, zone = town.latitude, town.longitude, town.timezone
            else:
                loc.needs_geocoding = True
                continue
            loc.latitude, loc.longitude = lat, lng
            place.latitude, place.longitude = lat, lng
            place.gazetteer_zone = zone
            loc.needs_geocoding = not loc.approximate

    # -- planning ---------------------------------------------------------------------

    def plan(self, *, deactivate_missing: bool):
        """Decide, for every row, create / update / unchanged; and what to deactivate."""
        summary = self.summary
        # Every meeting of the source by key, lightly (what retiring needs); in full
        # only those the rows read are of (a sync skips the records it read before).
        # Values, not instances: a re-import of 100,000 unchanged meetings builds none.
        mine = Meeting.objects.filter(source=self.source).order_by()
        statuses = {
            key: (pk, status)
            for pk, key, status in mine.values_list("id", "source_key", "status").iterator(
                chunk_size=5000
            )
        }
        self.deactivations = []  # ids
        if deactivate_missing:
            self.deactivations = [
                pk
                for key, (pk, status) in statuses.items()
                if key not in self.present and status != Meeting.Status.INACTIVE
            ]
            summary.deactivated = len(self.deactivations)
        self.active_before = sum(
            status != Meeting.Status.INACTIVE for _pk, status in statuses.values()
        )
        fields = ("id", "source_key", "organizer_kept", "last_changed", "source_fingerprint")
        fields += IMPORTED_FIELDS
        wanted = [statuses[r.record.key][0] for r in self.rows if r.record.key in statuses]
        links = Meeting.types.through.objects.values_list("id", "meeting_id", "meetingtype_id")
        if len(wanted) * 2 > len(statuses):
            existing = {m["source_key"]: m for m in mine.values(*fields).iterator(chunk_size=5000)}
            links = links.filter(meeting__source=self.source).iterator(chunk_size=5000)
        else:
            existing = {m["source_key"]: m for m in in_batches(mine.values(*fields), wanted)}
            ids = sorted({*wanted, *self.deactivations})
            links = [
                link
                for i in range(0, len(ids), BATCH)
                for link in links.filter(meeting_id__in=ids[i : i + BATCH])
            ]
        # meeting id -> type id -> link id
        self.existing_links: dict[int, dict[int, int]] = defaultdict(dict)
        for link_id, meeting_id, type_id in links:
            self.existing_links[meeting_id][type_id] = link_id
        type_refs = {pk: ("spec", code) for code, pk in self.spec_ids.items()}
        type_refs.update({pk: ("local", code) for code, pk in self.local_ids.items()})
        self.groups = self._known_groups()
        self.new_groups: dict[str, Group] = {}
        new_rows = [row for row in self.rows if row.record.key not in existing]
        self.taken_slugs = _TakenSlugs(
            Meeting.objects.all(), (_slug_base(self._wanted_slug(row.record)) for row in new_rows)
        )
        self.taken_group_slugs = _TakenSlugs(
            Group.objects.all(),
            (
                _slug_base(slugify(row.group_key) or "group")
                for row in self.rows
                if _group_key(row.group_key) not in self.groups
            ),
        )
        self.fingerprinted: list[Meeting] = []  # unchanged, read anew: their digests
        self.creates: list[tuple[Meeting, _Row]] = []
        self.updates: list[tuple[dict, _Row, bool]] = []  # (current values, row, retyped)
        for index, row in enumerate(self.rows, start=1):
            zone = (
                row.fields["timezone"]
                or (row.place.timezone if row.place else "")
                or self.default_timezone
            )
            if not zone:
                summary.skipped.append(
                    (_label(row.record), "no time zone: give one with --timezone")
                )
                continue
            row.fields["timezone"] = zone
            if row.place and not row.place.timezone:
                # A new location nothing else could place in time: its meeting's zone.
                row.place.timezone = row.place.new.timezone = zone
            self._need_types(row.types)
            self._group(row)
            meeting = existing.get(row.record.key)
            if meeting is None:
                if not row.record.published:
                    summary.skipped.append((_label(row.record), "not published"))
                    continue
                self.creates.append((self._new_meeting(row), row))
                summary.created += 1
            else:
                changed = self._keep_organizer_edits(meeting, row)
                changed = self._differs(meeting, row) or changed
                current = {
                    type_refs.get(t, ("other", t))
                    for t in self.existing_links.get(meeting["id"], {})
                }
                types_changed = current != row.types
                # The source's own date moved with nothing we keep changed: a change
                # of something we do not import, still the listing's latest change.
                redated = row.updated is not None and row.updated != meeting["last_changed"]
                if changed or types_changed or redated:
                    self.updates.append((meeting, row, types_changed))
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                    if row.fingerprint != meeting["source_fingerprint"]:
                        self.fingerprinted.append(Meeting(pk=meeting["id"]))
                        self.fingerprinted[-1].source_fingerprint = row.fingerprint
            if index % 1000 == 0:
                self.progress("matching", index, len(self.rows))
        summary.new_types = len(self.new_local_types)
        summary.new_groups = len(self.new_groups)
        skipped = {name for name, _reason in summary.skipped}
        summary.adjusted = [(k, why) for k, why in summary.adjusted if k not in skipped]
        self.new_places = list(
            dict.fromkeys(
                row.place
                for row in [r for _m, r in self.creates] + [r for _m, r, _t in self.updates]
                if row.place is not None and row.place.id is None
            )
        )
        summary.new_locations = len(self.new_places)
        summary.needs_geocoding = sum(p.new.needs_geocoding for p in self.new_places)

    def _need_types(self, refs):
        for kind, code in refs:
            if kind == "local" and code not in self.local_ids and code not in self.new_local_types:
                self.new_local_types[code] = MeetingType(
                    fellowship=self.fellowship,
                    code=code,
                    name=_fit(MeetingType, "name", self.local_names.get(code) or code),
                    category=MeetingType.Category.OTHER,
                )

    def _known_groups(self) -> dict[str, int]:
        """The fellowship's groups this import's rows can belong to, by name key: those
        named as a row names its group (an index read) and those the source's meetings
        are in already (so a group the source now spells in other case is still
        found), not every group of the fellowship, which a national sync would read
        once per source."""
        keys = {_group_key(row.group_key) for row in self.rows}
        names = sorted({row.group_key for row in self.rows})
        # By the source's own index: with the fellowship in the query, the planner
        # would walk the fellowship's groups instead.
        found = [
            (pk, name)
            for pk, name, fellowship_id in Meeting.objects.filter(source=self.source)
            .order_by()
            .values_list("group_id", "group__name", "group__fellowship_id")
            .distinct()
            if pk is not None and fellowship_id == self.fellowship.pk
        ]
        of_fellowship = Group.objects.filter(fellowship=self.fellowship).order_by()
        for i in range(0, len(names), BATCH):
            found += of_fellowship.filter(name__in=names[i : i + BATCH]).values_list("id", "name")
        groups: dict[str, int] = {}
        for pk, name in sorted(found):
            key = _group_key(name)
            if key in keys:
                groups.setdefault(key, pk)
        return groups

    def _group(self, row: _Row):
        """(id, None) for a group we have, (None, Group) for one to create."""
        key = _group_key(row.group_key)
        if key in self.groups:
            return self.groups[key], None
        if key not in self.new_groups:
            self.new_groups[key] = Group(
                fellowship=self.fellowship,
                name=row.group_key,
                slug=_free_slug(slugify(row.group_key) or "group", self.taken_group_slugs),
                description=row.record.group_notes,
                status=Group.Status.ACTIVE,
            )
        return None, self.new_groups[key]

    @staticmethod
    def _wanted_slug(record: ImportedMeeting) -> str:
        """The source's slug when it is a valid one of ours; else one from name and day."""
        if _SLUG_OK.match(record.slug) and len(record.slug) <= 64:
            wanted = record.slug
        else:
            wanted = slugify(record.slug)
        if not wanted:
            wanted = (
                (slugify(record.name)[:52].strip("-") or "meeting") + "-" + _DAY_SUFFIX[record.day]
            )
        return wanted

    def _new_meeting(self, row: _Row) -> Meeting:
        record = row.record
        return Meeting(
            slug=_free_slug(self._wanted_slug(record), self.taken_slugs),
            source=self.source,
            source_key=record.key[:255],
            source_fingerprint=row.fingerprint,
            feed_id=self.feed_id,
            last_changed=row.updated or timezone.now(),
            **row.fields,
        )

    def _keep_organizer_edits(self, meeting: dict, row: _Row) -> bool:
        """The rule for organizers' edits: a field an organizer changed stays as they
        wrote it while the source still says what it said before the edit; once the
        source changes it too, the source's new value wins and the field is the
        source's again. True when that hands a field back to the source."""
        kept = meeting["organizer_kept"] or {}
        if not kept:
            return False
        still = {}
        for name, said in kept.items():
            if name in row.fields and field_as_json(row.fields[name]) == said:
                row.fields[name] = meeting[name]
                still[name] = said
        row.kept = still
        return still != kept

    def _differs(self, meeting: dict, row: _Row) -> bool:
        group_id, new_group = self._group(row)
        location_id = row.place.id if row.place else None
        if new_group is not None or (row.place and row.place.id is None):
            return True
        wanted = {**row.fields, "group_id": group_id, "location_id": location_id}
        return any(meeting[name] != wanted[name] for name in IMPORTED_FIELDS)

    # -- writing ----------------------------------------------------------------------

    def write(self):
        """Every write, in one transaction: a failure anywhere leaves the database as it
        was before the import. Bulk writes send no signals, so the cached search pages
        and feeds are dropped here, once."""
        with listings_changing(), transaction.atomic():
            self._write_types()
            self._write_groups()
            self._write_locations()
            self._write_meetings()

    def _history_kwargs(self):
        return {
            "default_change_reason": self.reason,
            "default_user": self.user,
            "batch_size": BATCH,
        }

    def _with_history(self, model, objs: list, *, history_type: str = "+") -> list:
        """Insert ``objs`` (history_type "+") or, for "~", only their historical rows;
        returns [(historical row id, object id)]. These are the rows simple_history's
        bulk_history_create writes, by the fast inserter, whose ids the types' history
        needs."""
        if history_type == "+":
            insert_objects(model, objs)
        History = model.history.model
        connection = connections[router.db_for_write(History)]
        tracked = [History._meta.get_field(f.name) for f in History.tracked_fields]
        history_fields = [
            History._meta.get_field(name)
            for name in ("history_date", "history_user", "history_change_reason", "history_type")
        ]
        now, user_id = timezone.now(), getattr(self.user, "pk", None)
        own = [
            history_fields[0].get_db_prep_save(now, connection),
            user_id,
            self.reason,
            history_type,
        ]
        preparers = [preparer(f, connection) for f in tracked]
        names = [f.attname for f in tracked]
        rows = [
            [prepare(getattr(obj, name)) for prepare, name in zip(preparers, names, strict=True)]
            + own
            for obj in objs
        ]
        names += [f.attname for f in history_fields]
        history_ids = insert_rows(History, names, rows, returning=True)
        return list(zip(history_ids, [obj.pk for obj in objs], strict=True))

    def _write_types(self):
        created = MeetingType.objects.bulk_create(
            list(self.new_local_types.values()), batch_size=BATCH
        )
        self.local_ids.update({t.code: t.pk for t in created})

    def _write_groups(self):
        self._with_history(Group, list(self.new_groups.values()))
        for key, group in self.new_groups.items():
            self.groups[key] = group.pk

    def _write_locations(self):
        new = self.new_places
        self._with_history(Location, [p.new for p in new])
        for place in new:
            place.id = place.new.pk
        filled = {r.place.id: r.place.fill for r in self.rows if r.place and r.place.fill}
        if filled:
            now = timezone.now()
            locations = in_batches(Location.objects, filled)
            names = set()
            for location in locations:
                for name, value in filled[location.pk].items():
                    setattr(location, name, value)
                    names.add(name)
                location.geo_x, location.geo_y, location.geo_z = unit_vector(
                    location.latitude, location.longitude
                )
                location.updated = now
            names |= {"geo_x", "geo_y", "geo_z", "updated"}
            bulk_update_with_history(locations, Location, sorted(names), **self._history_kwargs())

    def _write_meetings(self):
        now = timezone.now()
        total = len(self.creates) + len(self.updates)
        creates = [meeting for meeting, _row in self.creates]
        for meeting, row in self.creates:
            meeting.group_id = self._group(row)[0]
            meeting.location_id = row.place.id if row.place else None
            meeting.set_next_start(now)
            meeting.cell = _place_cell(row.place)
        created_history = self._with_history(Meeting, creates)
        self.progress("writing", len(creates) // 2, total)
        links = self._link_types([(m.pk, row.types) for m, row in self.creates])
        self._write_types_history(created_history, links)
        self.progress("writing", len(creates), total)

        changing = [values["id"] for values, _row, _t in self.updates] + self.deactivations
        instances = {m.pk: m for m in in_batches(Meeting.objects, changing)}
        updates = []
        for values, row, _types_changed in self.updates:
            meeting = instances[values["id"]]
            for name, value in row.fields.items():
                setattr(meeting, name, value)
            if row.kept is not None:
                meeting.organizer_kept = row.kept
            meeting.group_id = self._group(row)[0]
            meeting.location_id = row.place.id if row.place else None
            meeting.updated = now
            meeting.last_changed = row.updated or now
            meeting.source_fingerprint = row.fingerprint
            meeting.set_next_start(now)
            meeting.cell = _place_cell(row.place)
            updates.append(meeting)
        deactivated = [instances[pk] for pk in self.deactivations]
        for meeting in deactivated:
            meeting.status = Meeting.Status.INACTIVE
            meeting.updated = meeting.last_changed = now
        changed = updates + deactivated
        if changed:
            update_objects(
                Meeting,
                changed,
                [
                    *IMPORTED_FIELDS,
                    "organizer_kept",
                    "updated",
                    "last_changed",
                    "source_fingerprint",
                    *NEXT_START_FIELDS,
                    "cell",
                ],
            )
            retyped = [
                (v["id"], row.types) for v, row, types_changed in self.updates if types_changed
            ]
            retyped_ids = [pk for pk, _refs in retyped]
            for i in range(0, len(retyped_ids), BATCH):
                Meeting.types.through.objects.filter(
                    meeting_id__in=retyped_ids[i : i + BATCH]
                ).delete()
            links = self._link_types(retyped)
            for meeting in changed:
                if meeting.pk not in links:
                    links[meeting.pk] = self.existing_links.get(meeting.pk, {})
            changed_history = self._with_history(Meeting, changed, history_type="~")
            self._write_types_history(changed_history, links)
        # Not a change of the listing: no history, no new "updated".
        update_objects(Meeting, self.fingerprinted, ["source_fingerprint"])
        self.progress("writing", total, total)

    def _link_types(self, meetings) -> dict[int, dict[int, int]]:
        """Create the meeting-type links; {meeting id: {type id: link id}}."""
        Link = Meeting.types.through
        ids = {("spec", code): pk for code, pk in self.spec_ids.items()}
        ids.update({("local", code): pk for code, pk in self.local_ids.items()})
        pairs = [(pk, ids[ref]) for pk, refs in meetings for ref in sorted(refs)]
        link_ids = insert_rows(Link, ["meeting_id", "meetingtype_id"], pairs, returning=True)
        result: dict[int, dict[int, int]] = {pk: {} for pk, _refs in meetings}
        for (meeting_id, type_id), link_id in zip(pairs, link_ids, strict=True):
            result[meeting_id][type_id] = link_id
        return result

    def _write_types_history(self, historical, links):
        """What simple_history records after a save with types: each historical row's
        types at that moment (bulk history alone leaves them out)."""
        HistoricalTypes = apps.get_model("meetings", "HistoricalMeeting_types")
        rows = [
            (link_id, meeting_id, type_id, history_id)
            for history_id, meeting_id in historical
            for type_id, link_id in links.get(meeting_id, {}).items()
        ]
        insert_rows(HistoricalTypes, ["id", "meeting_id", "meetingtype_id", "history_id"], rows)
