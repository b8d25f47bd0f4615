"""Placing addresses on the map: the geocoder (a local fake standing in for Nominatim),
the gazetteer as the fallback, and never a failed import or save for the network."""

import io
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from directory.models import Fellowship, Location
from meetings.formats import parse
from meetings.geocoding import location_geocode
from meetings.importing import meetings_import
from tests.conftest import make_location, make_place
from tests.local_http import serving

pytestmark = pytest.mark.django_db

FOUND = [{"lat": "44.9701", "lon": "-93.2849", "display_name": "519 Oak Grove St", "place_id": 1}]


@pytest.fixture
def aa(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


@pytest.fixture
def nominatim(settings):
    """A fake Nominatim on 127.0.0.1; ``state["up"] = False`` makes it fail."""
    state = {"up": True}

    def respond(path, headers):
        if not state["up"]:
            return 503, "text/plain", b"busy"
        if urlsplit(path).path != "/search":
            return 404, "text/plain", b""
        return 200, "application/json", json.dumps(FOUND).encode()

    with serving(respond) as (base, seen):
        settings.GEOCODER = "nominatim"
        settings.GEOCODER_DOMAIN = base.removeprefix("http://")
        settings.GEOCODER_SCHEME = "http"
        settings.GEOCODER_MIN_DELAY_MS = 0
        state["seen"] = seen
        yield state


def feed(**kw) -> bytes:
    row = {
        "name": "Morning Serenity",
        "slug": "morning-serenity",
        "day": 1,
        "time": "07:00",
        "location": "St. Mark's Church",
        "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
        "timezone": "America/Chicago",
    }
    row.update(kw)
    return json.dumps([row]).encode()


def test_an_imported_address_without_coordinates_is_geocoded(aa, nominatim):
    summary = meetings_import(records=parse(feed(), "meeting-guide"), fellowship=aa, source="t")
    assert summary.geocoded == 1
    location = Location.objects.get()
    assert (location.latitude, location.longitude) == (44.9701, -93.2849)
    assert location.needs_geocoding is False
    assert location.geo_x is not None
    path, headers = nominatim["seen"][0]
    query = parse_qs(urlsplit(path).query)
    assert query["q"] == ["519 Oak Grove St, Minneapolis, MN 55403, USA"]
    assert query["countrycodes"] == ["us"]
    assert headers["User-Agent"].startswith("RecoveryMap/")


def test_when_the_geocoder_fails_the_import_still_applies_and_geocode_pending_retries(
    aa, nominatim
):
    make_place(code="55403", lat=44.97, lng=-93.28)
    nominatim["up"] = False
    summary = meetings_import(records=parse(feed(), "meeting-guide"), fellowship=aa, source="t")
    assert summary.created == 1
    location = Location.objects.get()
    # The ZIP code's centre meanwhile, flagged to be placed properly.
    assert (location.latitude, location.longitude) == (44.97, -93.28)
    assert location.needs_geocoding is True
    assert summary.needs_geocoding == 1

    nominatim["up"] = True
    out = io.StringIO()
    call_command("geocode_pending", stdout=out)
    assert "Geocoded 1 locations; 0 still pending." in out.getvalue()
    location.refresh_from_db()
    assert (location.latitude, location.longitude) == (44.9701, -93.2849)
    assert location.needs_geocoding is False
    assert location.history.latest().history_change_reason == "geocode"


def test_without_a_geocoder_the_zip_code_centre_is_the_fallback(aa, settings):
    settings.GEOCODER = ""
    make_place(code="55403", lat=44.97, lng=-93.28, tz="America/Chicago")
    meetings_import(records=parse(feed(timezone=""), "meeting-guide"), fellowship=aa, source="t")
    location = Location.objects.get()
    assert (location.latitude, location.longitude) == (44.97, -93.28)
    assert location.timezone == "America/Chicago"
    assert location.needs_geocoding is True


def test_a_town_only_address_placed_at_the_town_needs_nothing_more(aa, settings):
    settings.GEOCODER = ""
    make_place(code="55403", lat=44.97, lng=-93.28)
    meetings_import(
        records=parse(
            feed(
                formatted_address="Minneapolis, MN 55403, USA", conference_url="https://zoom.us/j/1"
            ),
            "meeting-guide",
        ),
        fellowship=aa,
        source="t",
    )
    location = Location.objects.get()
    assert location.approximate is True
    assert location.needs_geocoding is False


def test_geocoding_a_location_never_raises_for_the_network(db, nominatim):
    nominatim["up"] = False
    location = make_location(latitude=None, longitude=None, postal_code="99999")
    assert location_geocode(location=location) is False
    location.refresh_from_db()
    assert location.needs_geocoding is True
    nominatim["up"] = True
    assert location_geocode(location=location) is True
    assert location.latitude == 44.9701


def test_requests_to_the_geocoder_are_spaced_by_its_rate_limit(db, nominatim, settings):
    settings.GEOCODER_MIN_DELAY_MS = 300
    for n in range(3):
        location_geocode(
            location=make_location(latitude=None, longitude=None, address=f"{n} Main St")
        )
    assert len(nominatim["seen"]) == 3
    started = time.monotonic()
    location_geocode(location=make_location(latitude=None, longitude=None, address="9 Main St"))
    assert time.monotonic() - started >= 0.25
