"""Plain geographic helpers shared by search, imports and demo data."""

import math
import re
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


def bounding_box(lat: float, lng: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing every point within ``miles``.

    Slightly generous so the exact distance, computed afterwards, decides the edge.
    """
    dlat = miles / MILES_PER_DEGREE_LATITUDE * 1.01
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlng = min(180.0, miles / (MILES_PER_DEGREE_LATITUDE * cos_lat) * 1.01)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


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
