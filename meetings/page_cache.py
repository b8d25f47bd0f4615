"""Whole search pages, kept as HTML for visitors who are not signed in.

A repeat search is then three cache reads and no database work at all: under load
that is what keeps the directory fast (see README, Performance).

A page says things that change with the clock ("Happening now", "Today", the order of
soonest first), so it is kept only until the first of them would read differently (see
``labels_valid_until``), and never past a change to a listing it could show: it stores
the base version and the versions of the areas its search reaches (see
meetings.listings), checked each time it is served, in one cache read. The "Online
meetings starting soon" section changes every minute but is the same for every place, so
it is kept on its own, for its minute, and set into the page, at ``ONLINE_SOON_SLOT``,
each time the page is served.

A page with anything of one person's (signed in: their name in the menu and a form to
sign out; a message waiting for them) is never kept or served from here.
"""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.utils.translation import get_language

from meetings.filters import MAX_RADIUS
from meetings.listings import (
    BASE_AREA,
    ONLINE_AREA,
    area_versions,
    areas_near,
    cache_key,
    online_version,
)
from meetings.next_start import LINGER

ONLINE_SOON_SLOT = "<!-- online-soon -->"
# The online section has a second part, a link with its count near the top of the page
# ("Also 7 online meetings that match"), set at ONLINE_TAB_SLOT; the section's HTML
# holds both, the link first, split at SECTION_BREAK.
ONLINE_TAB_SLOT = "<!-- online-tab -->"
SECTION_BREAK = "<!-- online-section -->"
# A soonest-first page after the first shifts whenever a meeting on an earlier page moves
# to the back of the order, which this page cannot see: it is kept for a minute.
LATER_SOONEST_PAGE_SECONDS = 60


def page_key(request) -> str | None:
    """The key of this request's page: the address it was asked at and in which
    language, and its parameters (empty ones dropped, in any order). None when the page
    is the visitor's own."""
    if request.user.is_authenticated or len(get_messages(request)):
        return None
    query = sorted((name, v) for name in request.GET for v in request.GET.getlist(name) if v)
    return kept_key("page", request.scheme, request.get_host(), get_language(), query)


def kept_key(kind: str, *parts) -> str:
    """The key of a kept page (or search calendar). The base version is not in it: it
    is kept with the page's areas (BASE_AREA) and checked with them, in the same read."""
    return cache_key(kind, *parts, version="kept")


@dataclass
class KeptPage:
    html: str  # with ONLINE_SOON_SLOT where the online section goes
    online_soon: tuple | None  # what tells the section apart; None: the page has none
    section: str | None  # the section's HTML for this minute; None: build it again

    def filled(self, section: str) -> str:
        return fill_online_slots(self.html, section)


def fill_online_slots(html: str, section: str) -> str:
    """``html`` with the online section's two parts set in (or its slots emptied)."""
    tab, _break, body = section.rpartition(SECTION_BREAK)
    return html.replace(ONLINE_TAB_SLOT, tab, 1).replace(ONLINE_SOON_SLOT, body, 1)


def kept_page(key: str, now: dt.datetime) -> KeptPage | None:
    """The page kept under ``key``, while it reads as it would now, with the online
    section of ``now``'s minute when that is kept too."""
    entry = cache.get(key)
    if entry is None or entry["valid_until"] <= now.timestamp():
        return None
    kept = entry["areas"]
    online = entry["online_soon"] is not None
    # The areas' versions and, in the same read, those the online section's key needs.
    versions = area_versions({*kept, BASE_AREA, ONLINE_AREA} if online else kept)
    if any(versions[area] != version for area, version in kept.items()):
        return None  # a listing in its reach changed
    section = "" if not online else cache.get(_online_soon_key(entry, now, versions))
    return KeptPage(entry["html"], entry["online_soon"], section)


def search_reach(filterset) -> dict[str, int] | None:
    """The versions of the areas a valid search can reach (its circle at its widest, or
    the online area), read before it runs: a change made while it runs then shows as a
    newer version, and the page is not served again. None: the page is not kept (a bad
    search, or one near a pole, where too many areas meet)."""
    if not filterset.is_valid():
        return None
    point = filterset.point
    if point is None:
        return area_versions([ONLINE_AREA, BASE_AREA])
    areas = areas_near(point.latitude, point.longitude, MAX_RADIUS)
    return None if areas is None else area_versions([*areas, BASE_AREA])


def keep_page(
    key: str,
    html: str,
    *,
    filterset,
    reach: dict[str, int],
    now: dt.datetime,
    valid_until: dt.datetime,
    online_soon_html: str = "",
    online: bool = True,
) -> None:
    """Keep ``html`` (with ``ONLINE_SOON_SLOT`` where the online section goes) until
    ``valid_until``, or until one of the areas its search reached (``reach``, narrowed to
    the circle the search used) changes; and the online section for its minute.
    ``online=False``: a body without that section (the search as a calendar)."""
    seconds = min(settings.LISTINGS_CACHE_SECONDS, math.ceil((valid_until - now).total_seconds()))
    if seconds <= 0:
        return
    point = filterset.point
    if point is not None:  # the circle searched, after any widening
        used = areas_near(point.latitude, point.longitude, filterset.radius_used)
        reach = {area: reach[area] for area in [*used, BASE_AREA]}
    words = filterset.online_soon_words() if online else None
    # What tells the online section's meetings apart: its filters, zone and language.
    online_soon = None if words is None else (words, filterset.visitor_zone, get_language())
    entry = {
        "html": html,
        "valid_until": valid_until.timestamp(),
        "areas": reach,
        "online_soon": online_soon,
    }
    cache.set(key, entry, seconds)
    if online_soon is not None:
        keep_online_soon(online_soon, online_soon_html, now)


def keep_online_soon(online_soon: tuple, html: str, now: dt.datetime) -> None:
    cache.set(_online_soon_key({"online_soon": online_soon}, now), html, 60)


def _online_soon_key(entry: dict, now: dt.datetime, versions: dict | None = None) -> str:
    """``versions``: area_versions() of BASE_AREA and ONLINE_AREA, when read already."""
    minute = f"{now:%Y%m%d%H%M}"
    version = online_version(versions)
    return cache_key("online-soon-html", minute, entry["online_soon"], version=version)


def labels_valid_until(rows: Iterable, now: dt.datetime, *, soonest: bool) -> dt.datetime:
    """The first moment after ``now`` that a results row would read differently: its
    meeting starts ("Happening now"), ends (the next week's is shown) or a midnight
    passes on the clock it is told in ("Tomorrow" becomes "Today"). Soonest first, a
    meeting also leaves the top of the order an hour after it began."""
    moments = []
    for row in rows:
        start, end = row.occurrence.start, row.occurrence.end
        moments += [start, end, next_midnight(now, start.tzinfo)]
        if soonest:
            moments.append(start + LINGER)
    later = [moment for moment in moments if moment > now]
    return min(later, default=now + dt.timedelta(days=1))


def next_midnight(now: dt.datetime, zone: dt.tzinfo | str) -> dt.datetime:
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
