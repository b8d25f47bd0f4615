"""Plain geographic helpers shared by search, imports and demo data."""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARTH_RADIUS_MILES = 3958.7613
MILES_PER_DEGREE_LATITUDE = 69.055


def great_circle_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def unit_vector(lat: float | None, lng: float | None) -> tuple[float | None, ...]:
    """The point on the unit sphere; the dot product of two is the cosine of their angle."""
    if lat is None or lng is None:
        return None, None, None
    phi, lam = math.radians(lat), math.radians(lng)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def arc_miles(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Miles on the Earth between two unit vectors (``unit_vector()``), computed as the
    search's SQL computes them (``MeetingQuerySet.near()``), to the same last digit."""
    return closeness_miles(a[0] * b[0] + a[1] * b[1] + a[2] * b[2])


def closeness_miles(closeness: float) -> float:
    """Miles between two points whose unit vectors' dot product is ``closeness`` (the
    cosine of the angle between them)."""
    return EARTH_RADIUS_MILES * math.acos(max(-1.0, min(1.0, closeness)))


def closeness_within(miles: float) -> float:
    """The least closeness (see closeness_miles) of two points within ``miles``."""
    return math.cos(miles / EARTH_RADIUS_MILES)


def bounding_box(lat: float, lng: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing every point within ``miles``.

    Slightly generous so the exact distance, computed afterwards, decides the edge.
    """
    dlat = miles / MILES_PER_DEGREE_LATITUDE * 1.01
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlng = min(180.0, miles / (MILES_PER_DEGREE_LATITUDE * cos_lat) * 1.01)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


# The map cells of search: squares of CELL_DEGREES (about 17 by 13 miles in the US),
# numbered row by row from the south pole and the antimeridian. Each meeting keeps its
# place's cell, so "starting soon within 25 miles" is a range of a (cell, next start)
# index for each of the 20 or so cells the circle covers, not every meeting in a dense
# circle (see MeetingQuerySet.near()).
CELL_DEGREES = 0.25
_CELLS_PER_TURN = round(360 / CELL_DEGREES)


def map_cell(lat: float | None, lng: float | None) -> int | None:
    """The cell a point lies in (None without a point)."""
    if lat is None or lng is None:
        return None
    column = math.floor((lng + 180) / CELL_DEGREES) % _CELLS_PER_TURN
    return _cell_row(lat) * _CELLS_PER_TURN + column


def _cell_row(lat: float) -> int:
    return min(max(math.floor((lat + 90) / CELL_DEGREES), 0), round(180 / CELL_DEGREES) - 1)


def cells_around(lat: float, lng: float, miles: float) -> list[int]:
    """Every cell a point within ``miles`` of (lat, lng) can lie in: those of its
    bounding box, longitudes past ±180 wrapping round to the other side."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, miles)
    rows = range(_cell_row(min_lat), _cell_row(max_lat) + 1)
    first = math.floor((min_lng + 180) / CELL_DEGREES)
    last = math.floor((max_lng + 180) / CELL_DEGREES)
    columns = sorted({column % _CELLS_PER_TURN for column in range(first, last + 1)})
    return [row * _CELLS_PER_TURN + column for row in rows for column in columns]


def boxes_around(
    points: Iterable[tuple[float, float]], miles: float, *, most: int = 200
) -> list[tuple[float, float, float, float]]:
    """Boxes (min_lat, max_lat, min_lng, max_lng) enclosing every point within ``miles``
    of one of ``points``: one per whole degree of map the points fall in, so points
    spread over a state or a country give the boxes around their towns, not the one
    box spanning them all. More than ``most`` degrees give that one box (a query of
    thousands of terms costs more than it saves)."""
    cells: dict[tuple[int, int], list[float]] = {}
    for lat, lng in points:
        box = cells.setdefault((math.floor(lat), math.floor(lng)), [lat, lat, lng, lng])
        box[0], box[1] = min(box[0], lat), max(box[1], lat)
        box[2], box[3] = min(box[2], lng), max(box[3], lng)
    tight = list(cells.values())
    if len(tight) > most:
        tight = [
            [
                min(b[0] for b in tight),
                max(b[1] for b in tight),
                min(b[2] for b in tight),
                max(b[3] for b in tight),
            ]
        ]
    boxes = []
    for south, north, west, east in tight:
        # Widest in longitude at the latitude furthest from the equator.
        far = max(south, north, key=abs)
        low_lat = bounding_box(south, west, miles)[0]
        high_lat = bounding_box(north, east, miles)[1]
        _s, _n, low_lng, high_lng = bounding_box(far, west, miles)
        high_lng = bounding_box(far, east, miles)[3]
        boxes.append((low_lat, high_lat, low_lng, high_lng))
    return boxes


_LAT_LNG = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def parse_lat_lng(text: str) -> tuple[float, float] | None:
    """``"44.96,-93.26"`` as a pair of floats, or None when it is not a valid point."""
    match = _LAT_LNG.match(text or "")
    if not match:
        return None
    lat, lng = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


@dataclass(frozen=True)
class Point:
    """A resolved place a search is centred on."""

    latitude: float
    longitude: float
    label: str
    timezone: str = ""


_TIMEZONES = frozenset(available_timezones())


def is_timezone(value: str) -> bool:
    return value in _TIMEZONES


def validate_timezone(value: str) -> None:
    if not is_timezone(value):
        raise ValidationError(
            _("%(value)s is not a time zone name such as America/Chicago."),
            params={"value": value},
            code="invalid_timezone",
        )


def timezone_at(latitude: float, longitude: float) -> str:
    """The IANA time zone at a point, offline (tzfpy)."""
    import tzfpy

    return tzfpy.get_tz(longitude, latitude) or ""
