"""Placing locations on the map from their address, now (an organizer's edit) or later
(``manage.py geocode_pending`` retries what the geocoder could not answer)."""

from django.db import transaction

from directory.models import Location, Place


def location_geocode(*, location: Location, save: bool = True) -> bool:
    """Place ``location`` on the map from its address; True when the geocoder found it.

    Never raises for the network: when the geocoder cannot be asked (or none is set),
    the location keeps what it has, falls back to its ZIP code's centre if it has no
    point at all, and stays flagged ``needs_geocoding`` for ``manage.py
    geocode_pending``. Organizer edits call this after changing an address.
    """
    from meetings.places import GeocodingFailed, lookup

    try:
        found = lookup(location.formatted_address, country=location.country)
    except GeocodingFailed:
        found = None
    if found is not None:
        location.latitude, location.longitude = found.latitude, found.longitude
        location.needs_geocoding = False
        if not location.timezone:
            location.timezone = found.timezone
    else:
        if location.latitude is None:
            centre = Place.objects.resolve(location.postal_code) or (
                Place.objects.resolve(f"{location.city}, {location.state}")
                if location.city and location.state
                else None
            )
            if centre is not None:
                location.latitude, location.longitude = centre.latitude, centre.longitude
                location.timezone = location.timezone or centre.timezone
        location.needs_geocoding = location.latitude is None or not location.approximate
    if save:
        with transaction.atomic():
            location._change_reason = "geocode"
            location.save()
    return found is not None


def locations_geocode_pending(*, limit: int | None = None) -> tuple[int, int]:
    """Retry the locations flagged ``needs_geocoding``; (found, still pending)."""
    pending = Location.objects.filter(needs_geocoding=True).order_by("id")
    if limit:
        pending = pending[:limit]
    found = 0
    for location in pending:
        found += location_geocode(location=location)
    return found, Location.objects.filter(needs_geocoding=True).count()
