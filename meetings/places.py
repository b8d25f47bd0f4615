"""Turning what a person typed ("55404", "Minneapolis, MN", "chicago", "44.96,-93.26")
into a point.

The offline gazetteer answers first, as people type places: a ZIP code (or ZIP+4), a
town with or without its state (a code or the full name, with or without a comma), in
any case, with small typos (a fuzzy match over the gazetteer's town names, see
``meetings.gazetteer``). A geocoder (geopy) is asked only when one is configured and the
gazetteer knows nothing like it; its answers are cached so each place is looked up once.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.text import slugify

from directory.models import Place
from meetings import gazetteer
from recoverymap.lib.geo import Point, parse_lat_lng, timezone_at

log = logging.getLogger(__name__)
_MISSING = "-"
# "Use my location" names the town it found when one is this near.
NAMED_TOWN_MILES = 25


@dataclass(frozen=True)
class PlaceAnswer:
    """What a typed place resolved to: a point (or None), the other places of that name
    ("Did you mean…", each a query that resolves), and when nothing was found the
    nearest matches the gazetteer has."""

    point: Point | None
    others: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


def find_place(text: str) -> PlaceAnswer:
    text = (text or "").strip()[:200]
    if not text:
        return PlaceAnswer(None)
    if pair := parse_lat_lng(text):
        lat, lng = pair
        town = gazetteer.town_near(lat, lng, NAMED_TOWN_MILES)
        label = town or f"{lat:.4f}, {lng:.4f}"
        return PlaceAnswer(Point(lat, lng, label, timezone_at(lat, lng)))
    point = Place.objects.resolve(gazetteer.plain_zip(text) or text)
    if point is not None:
        return PlaceAnswer(point)
    towns = gazetteer.towns_for(text)
    if towns:
        best, *others = towns
        return PlaceAnswer(Place.objects.resolve(best), others=tuple(others))
    if settings.GEOCODER and (point := geocode_cached(text)) is not None:
        return PlaceAnswer(point)
    return PlaceAnswer(None, suggestions=tuple(gazetteer.nearest_names(text)))


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
    try:
        return lookup(text, country="US" if settings.GEOCODER == "nominatim" else "")
    except GeocodingFailed as error:
        log.warning("Geocoding %r failed: %s", text, error)
        return None


class GeocodingFailed(Exception):
    """The geocoder could not be asked (network, timeout, refusal): try again later."""


def lookup(text: str, *, country: str = "") -> Point | None:
    """The point of an address from the configured geocoder: None when it does not know
    the address (or no geocoder is set), GeocodingFailed when it could not be asked.

    Requests go through one rate limiter per process, so Nominatim's one request a
    second holds however many imports and edits ask.
    """
    from geopy.exc import GeopyError

    if not settings.GEOCODER:
        return None
    ask = _rate_limited_geocoder()
    kwargs = (
        {"country_codes": country.lower()} if country and settings.GEOCODER == "nominatim" else {}
    )
    try:
        found = ask(text, **kwargs)
    except (GeopyError, OSError, ValueError) as error:
        raise GeocodingFailed(str(error) or type(error).__name__) from error
    if found is None:
        return None
    lat, lng = found.latitude, found.longitude
    return Point(lat, lng, text, timezone_at(lat, lng))


_geocoders: dict[tuple, object] = {}


def _rate_limited_geocoder():
    """geopy's geocode function for the current settings, wrapped in a RateLimiter;
    built once per configuration (tests change settings)."""
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import get_geocoder_for_service

    config = (
        settings.GEOCODER,
        settings.GEOCODER_DOMAIN,
        settings.GEOCODER_SCHEME,
        settings.GEOCODER_USER_AGENT,
        settings.GEOCODER_TIMEOUT,
        settings.GEOCODER_MIN_DELAY_MS,
    )
    if config not in _geocoders:
        options = {"user_agent": settings.GEOCODER_USER_AGENT, "timeout": settings.GEOCODER_TIMEOUT}
        if settings.GEOCODER_DOMAIN:
            options["domain"] = settings.GEOCODER_DOMAIN
        if settings.GEOCODER_SCHEME:
            options["scheme"] = settings.GEOCODER_SCHEME
        geocoder = get_geocoder_for_service(settings.GEOCODER)(**options)
        # No retries here: a failure leaves the location flagged, and geocode_pending
        # tries again later rather than holding up an import.
        _geocoders[config] = RateLimiter(
            geocoder.geocode,
            min_delay_seconds=settings.GEOCODER_MIN_DELAY_MS / 1000,
            max_retries=0,
            swallow_exceptions=False,
        )
    return _geocoders[config]
