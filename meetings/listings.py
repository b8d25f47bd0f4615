"""The listings' versions: the numbers every cached search page and feed is keyed by.

Any change to a group, meeting, location, a meeting's types or its "no longer meets"
reports bumps them, so everything cached before is never read again (and expires on its
own). Saves and deletes through the ORM (the staff admin, the organizers' /manage/
admin, the services) bump them through the signal receivers below; bulk writes send no
signals, so the import and seed_demo call ``listings_changed()`` themselves.

There are three kinds of version:

- ``listings:version`` changes with every change anywhere: the feed, which lists the
  whole country, is keyed by it.
- ``listings:base`` changes with the reference data (fellowships, meeting types), bulk
  writes, and any change whose place is not known: every search page is keyed by it.
- One per *area*: the map is cut into squares of ``AREA_DEGREES`` (about 70 by 50 miles
  in the US), and online meetings are an area of their own. A page stores the versions
  of the areas its search could reach and is served again only while they are the same.
  An organizer's edit in Duluth then leaves the kept pages of Dallas alone, which at
  national scale (an edit every few minutes) is the difference between a warm cache and
  a cold one.

STYLE.md keeps domain logic out of signals; this is not domain logic but cache
invalidation, infrastructure that must follow every write wherever it comes from, which
is what signals are for.
"""

import contextlib
import functools
import hashlib
import math
import threading
import time
from collections.abc import Iterable, Iterator

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from directory.models import Fellowship, FellowshipTranslation, Group, Location
from meetings.models import Meeting, MeetingType, ProblemReport
from recoverymap.lib.geo import bounding_box

VERSION_KEY = "listings:version"
BASE_KEY = "listings:base"
AREA_DEGREES = 1
ONLINE_AREA = "online"
# The base version, read among the areas of a kept page (see page_cache) to save a read.
BASE_AREA = "base"
# A search whose circle covers more areas than this (only near the poles) is not kept.
MOST_AREAS = 120
_held = threading.local()


def listings_version() -> int:
    """The version of everything (the feed's)."""
    return _versions([VERSION_KEY])[VERSION_KEY]


def base_version() -> int:
    """The version every search page shares (reference data, bulk writes)."""
    return _versions([BASE_KEY])[BASE_KEY]


def online_version(versions: dict[str, int] | None = None) -> str:
    """The version of what online meetings show: the base's and the online area's (from
    ``versions``, area_versions() of both, when they were read already)."""
    if versions is None:
        versions = area_versions([BASE_AREA, ONLINE_AREA])
    return f"{versions[BASE_AREA]}-{versions[ONLINE_AREA]}"


def area_versions(areas: Iterable[str]) -> dict[str, int]:
    """The current version of each area (BASE_AREA: the base version), in one cache read."""
    keys = {_area_key(area): area for area in areas}
    return {keys[key]: version for key, version in _versions(list(keys)).items()}


def _area_key(area: str) -> str:
    return BASE_KEY if area == BASE_AREA else f"listings:area:{area}"


def _versions(keys: list[str]) -> dict[str, int]:
    """The versions under ``keys``; a new one (from the clock, so it never repeats an
    earlier one) for a key the cache has lost, after a restart of Redis or an eviction."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            version = time.time_ns()
            found[key] = version if cache.add(key, version, timeout=None) else cache.get(key)
            if found[key] is None:  # the cache is down: nothing is kept anyway
                found[key] = version
    return found


def _bump(keys: tuple[str, ...]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or the cache is down): start a new one
            cache.set(key, time.time_ns(), timeout=None)


def listings_changed(areas: Iterable[str] | None = None) -> None:
    """Drop the cached pages and feeds that a change shows on: those of ``areas``, or
    every one when the areas are not known. Called now, so the writer's own next page
    is fresh, and again after the transaction commits, since another request may have
    cached the old listings (under the new version) in between."""
    if getattr(_held, "depth", 0):
        return
    if areas is None:
        keys = (VERSION_KEY, BASE_KEY)
    else:
        keys = (VERSION_KEY, *sorted(f"listings:area:{area}" for area in areas))
    _bump(keys)
    connection = transaction.get_connection()
    # Once per transaction and set of keys: a rolled-back savepoint takes its callbacks
    # with it.
    if connection.in_atomic_block and not any(
        getattr(func, "keywords", {}).get("keys") == keys
        for _sids, func, _robust in connection.run_on_commit
    ):
        transaction.on_commit(functools.partial(_bump, keys=keys))


@contextlib.contextmanager
def listings_changing() -> Iterator[None]:
    """Around a bulk write (an import, a demo seed, deleting the directory): one bump of
    everything at the end, whatever the block wrote, instead of one per row."""
    _held.depth = getattr(_held, "depth", 0) + 1
    try:
        yield
    finally:
        _held.depth -= 1
        if not _held.depth:
            listings_changed()


def cache_key(kind: str, *parts, version: int | str | None = None) -> str:
    """A key for ``kind`` ("page", "feed") under ``version`` (by default the version of
    everything); ``parts`` are anything with a stable ``repr`` (strings, numbers, sorted
    lists)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    version = listings_version() if version is None else version
    return f"listings:{kind}:{version}:{digest}"


# -- areas --------------------------------------------------------------------------------


def area_at(latitude: float, longitude: float) -> str:
    return f"{math.floor(latitude / AREA_DEGREES)}:{math.floor(longitude / AREA_DEGREES)}"


def areas_near(latitude: float, longitude: float, miles: float) -> list[str] | None:
    """The areas that meetings within ``miles`` of the point can lie in (None: too many
    to follow, near a pole)."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, miles)
    rows = range(math.floor(min_lat / AREA_DEGREES), math.floor(max_lat / AREA_DEGREES) + 1)
    columns = range(math.floor(min_lng / AREA_DEGREES), math.floor(max_lng / AREA_DEGREES) + 1)
    if len(rows) * len(columns) > MOST_AREAS:
        return None
    per_turn = round(360 / AREA_DEGREES)
    low = -per_turn // 2  # longitudes past ±180 wrap round to the other side
    return [f"{row}:{(column - low) % per_turn + low}" for row in rows for column in columns]


def meeting_areas(rows: Iterable[tuple]) -> set[str]:
    """The areas of meetings given as (latitude, longitude, attendance) rows."""
    online = {Meeting.Attendance.ONLINE, Meeting.Attendance.HYBRID}
    areas = set()
    for latitude, longitude, attendance in rows:
        if latitude is not None and longitude is not None:
            areas.add(area_at(latitude, longitude))
        if attendance in online:
            areas.add(ONLINE_AREA)
    return areas


def areas_of(meetings) -> set[str]:
    """The areas of a queryset of meetings (one query)."""
    return meeting_areas(
        meetings.values_list("location__latitude", "location__longitude", "attendance")
    )


# -- receivers ----------------------------------------------------------------------------


def _meeting_rows(meeting) -> list[tuple]:
    location = meeting.location if meeting.location_id else None
    point = (location.latitude, location.longitude) if location else (None, None)
    return [(*point, meeting.attendance)]


def _areas_before(sender, instance, **kwargs):
    """Before a meeting or location is saved, note the areas it was in: a meeting that
    moves leaves a page of its old area as well as joining one of its new."""
    instance._areas_before = set()
    if instance.pk is None:
        return
    if sender is Location:
        old = Location.objects.filter(pk=instance.pk).values_list("latitude", "longitude")
        instance._areas_before = meeting_areas((lat, lng, None) for lat, lng in old)
    else:
        instance._areas_before = areas_of(sender.objects.filter(pk=instance.pk))


def _on_meeting_save(sender, instance, **kwargs):
    before = getattr(instance, "_areas_before", None)
    listings_changed(None if before is None else before | meeting_areas(_meeting_rows(instance)))


def _on_location_save(sender, instance, **kwargs):
    before = getattr(instance, "_areas_before", None)
    now = meeting_areas([(instance.latitude, instance.longitude, None)])
    listings_changed(None if before is None else before | now)


def _on_group_save(sender, instance, **kwargs):
    listings_changed(areas_of(instance.meetings.all()))


def _on_change(sender, **kwargs):
    listings_changed()


def _on_types_change(sender, instance, action, reverse, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        listings_changed(None if reverse else meeting_areas(_meeting_rows(instance)))


def _on_report_save(sender, instance, **kwargs):
    # Reports that a meeting is gone are counted on its public card (the others are not
    # public).
    if instance.category == instance.Category.GONE:
        listings_changed(meeting_areas(_meeting_rows(instance.meeting)))


def _on_report_delete(sender, instance, **kwargs):
    # Its meeting may be going too (a cascade): its areas are not asked for.
    if instance.category == instance.Category.GONE:
        listings_changed()


def connect() -> None:
    """Wire the receivers (from MeetingsConfig.ready)."""
    on_save = {
        Fellowship: _on_change,
        FellowshipTranslation: _on_change,
        MeetingType: _on_change,
        Group: _on_group_save,
        Location: _on_location_save,
        Meeting: _on_meeting_save,
    }
    for model, receiver in on_save.items():
        uid = f"listings-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
        # Listings are retired rather than deleted: a delete drops everything.
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
    for model in (Location, Meeting):
        uid = f"listings-{model._meta.label_lower}-before"
        pre_save.connect(_areas_before, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        _on_types_change, sender=Meeting.types.through, dispatch_uid="listings-meeting-types"
    )
    post_save.connect(_on_report_save, sender=ProblemReport, dispatch_uid="listings-report-save")
    post_delete.connect(
        _on_report_delete, sender=ProblemReport, dispatch_uid="listings-report-delete"
    )
