"""Turning what a person typed ("55404", "Minneapolis, MN", "44.96,-93.26") into a point.

The offline gazetteer answers first; a geocoder (geopy) is asked only when one is
configured, and its answers are cached so each place is looked up once.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.text import slugify

from directory.models import Place
from recoverymap.lib.geo import Point, parse_lat_lng, timezone_at

log = logging.getLogger(__name__)
_MISSING = "-"


def resolve_place(text: str) -> Point | None:
    text = (text or "").strip()[:200]
    if not text:
        return None
    if pair := parse_lat_lng(text):
        lat, lng = pair
        return Point(lat, lng, f"{lat:.4f}, {lng:.4f}", timezone_at(lat, lng))
    point = Place.objects.resolve(text)
    if point is None and settings.GEOCODER:
        point = geocode_cached(text)
    return point


def geocode_cached(text: str) -> Point | None:
    key = "geocode:" + slugify(text)[:200]
    cached = cache.get(key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    point = geocode(text)
    cache.set(key, point if point is not None else _MISSING, 60 * 60 * 24 * 30)
    return point


def geocode(text: str) -> Point | None:
    """Ask the configured geocoder; any failure is logged and treated as "not found"."""
    from geopy.exc import GeopyError
    from geopy.geocoders import get_geocoder_for_service

    try:
        geocoder_class = get_geocoder_for_service(settings.GEOCODER)
        geocoder = geocoder_class(
            user_agent=settings.GEOCODER_USER_AGENT, timeout=settings.GEOCODER_TIMEOUT
        )
        found = (
            geocoder.geocode(text, country_codes="us")
            if settings.GEOCODER == "nominatim"
            else geocoder.geocode(text)
        )
    except (GeopyError, OSError, ValueError) as error:
        log.warning("Geocoding %r failed: %s", text, error)
        return None
    if found is None:
        return None
    lat, lng = found.latitude, found.longitude
    return Point(lat, lng, text, timezone_at(lat, lng))
