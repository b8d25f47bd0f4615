"""Faults: the database unreachable gives a friendly 503 page; Redis down and the site
still serves; a geocoder timeout never blocks a save; an import killed midway leaves the
database as it was."""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse

from directory.models import Fellowship, Group, Location
from meetings import importing
from meetings.formats import parse
from meetings.geocoding import location_geocode
from meetings.importing import meetings_import
from meetings.models import Meeting
from recoverymap.middleware import server_error
from tests.conftest import make_group, make_location, make_meeting, make_organizer, make_place
from tests.local_http import serving

pytestmark = pytest.mark.django_db
BASE = Path(__file__).resolve().parent.parent


# The database -----------------------------------------------------------------------


def test_a_database_error_in_a_view_gives_the_503_page(client, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("meetings.views.Meeting.objects.public", unreachable)
    with caplog.at_level(logging.ERROR, logger="recoverymap.faults"):
        response = client.get(reverse("meetings:meeting-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "having trouble reaching its database" in page
    assert "988" in page
    assert "Traceback" not in page
    assert "Database unavailable" in caplog.text


def test_a_database_error_outside_a_view_gives_the_503_page_too():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert "having trouble reaching its database" in response.content.decode()


def test_other_errors_give_the_500_page_without_the_database():
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_with_the_database_server_down_the_site_answers_503():
    """A real connection refused: PostgreSQL on a closed port, in a fresh process (the
    test database stays untouched), whichever database this run uses."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        "r = client.get('/meetings/')\n"
        "print('=>', client.get('/').status_code)\n"
        "print('=>', r.status_code, r.get('Retry-After'), '988' in r.content.decode())\n"
        "h = client.get('/health/')\n"
        "print('=>', h.status_code, h.get('Retry-After'), h.json()['database'])\n"
        "f = client.get('/api/meetings.json')\n"
        "print('=>', f.status_code, f.get('Retry-After'), f.get('Cache-Control'))\n"
        "c = client.get('/meetings.ics')\n"
        "print('=>', c.status_code, c.get('Retry-After'), c.get('Cache-Control'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "recoverymap.settings",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/recoverymap",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line[3:] for line in result.stdout.splitlines() if line.startswith("=> ")]
    # The home page needs no database (a load balancer must not take it for health);
    # the search, the health check and the feeds do, and say so before their first byte.
    assert lines[0] == "200", result.stdout
    assert lines[1] == "503 60 True", result.stdout
    assert lines[2] == "503 60 unavailable", result.stdout
    assert lines[3] == "503 60 no-store", result.stdout
    assert lines[4] == "503 60 no-store", result.stdout


# Redis --------------------------------------------------------------------------------


def test_with_redis_down_the_search_and_the_feed_still_serve(client, redis_down, caplog):
    make_place()
    make_meeting(name="Lakeside Serenity")
    make_meeting(name="Online Hope", attendance="online", conference_url="https://zoom.us/j/1")
    with caplog.at_level(logging.WARNING, logger="recoverymap.cache"):
        nearby = client.get(reverse("meetings:meeting-list"), {"near": "55404"})
        online = client.get(reverse("meetings:meeting-list"))
        feed = client.get(reverse("meetings:meeting-feed"))
        home = client.get(reverse("directory:home"))
    assert nearby.status_code == 200 and "Lakeside Serenity" in nearby.content.decode()
    assert online.status_code == 200
    assert feed.status_code == 200
    assert len(json.loads(b"".join(feed.streaming_content))) == 2
    assert home.status_code == 200
    assert "Redis unavailable" in caplog.text


def test_the_fail_soft_cache_behaves_as_a_miss_when_redis_is_down(redis_down):
    from django.core.cache import cache

    assert cache.get("k") is None
    assert cache.get("k") is None  # asked again within the back-off: not a new timeout
    assert cache.get("k", "fallback") == "fallback"
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_rate_limit_counters_live_in_process_memory_while_redis_is_down(redis_down):
    from django.core.cache import cache

    assert cache.add("allauth:rl:lock", True) is True
    assert cache.add("allauth:rl:lock", True) is False
    cache.set("allauth:rl:history", [1.0, 2.0])
    assert cache.get("allauth:rl:history") == [1.0, 2.0]
    assert cache.delete("allauth:rl:lock") is True


# The health check ---------------------------------------------------------------------


def test_the_health_check_answers_with_the_database_up_and_is_never_cached(client, settings):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["status"] == "ok"
    # With REDIS_URL (CI sets it) the real Redis answers; without, each process's memory.
    redis = settings.CACHES["default"]["BACKEND"] == "recoverymap.cache.FailSoftRedisCache"
    assert response.json()["cache"] == ("ok" if redis else "local")
    assert "no-store" in response["Cache-Control"]


def test_the_health_check_reports_the_last_sync_without_failing_on_it(client):
    from django.utils import timezone

    from meetings.models import Source, SyncAttempt

    assert client.get(reverse("health")).json()["last_sync"] is None
    source = Source.objects.create(
        name="Intergroup", url="/srv/feed.json", format="csv", fellowship=make_group().fellowship
    )
    SyncAttempt.objects.create(
        source=source, finished=timezone.now(), outcome="failed", error_kind="http"
    )
    response = client.get(reverse("health"))
    assert response.status_code == 200  # a failed sync is news, not an outage
    assert response.json()["last_sync"]["source"] == "Intergroup"
    assert response.json()["last_sync"]["outcome"] == "failed"


def test_the_health_check_reports_redis_down_without_failing(client, redis_down):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["cache"] == "unavailable"


def test_the_health_check_is_not_redirected_to_https(client, settings):
    """Load balancers often check app servers over plain HTTP on the private network."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("meetings:meeting-list")).status_code == 301
    assert client.get(reverse("health")).status_code == 200


# The geocoder -------------------------------------------------------------------------


@pytest.fixture
def slow_geocoder(settings):
    """A geocoder that answers after the timeout."""

    def respond(path, headers):
        time.sleep(2)
        return 200, "application/json", b"[]"

    with serving(respond) as (base, seen):
        settings.GEOCODER = "nominatim"
        settings.GEOCODER_DOMAIN = base.removeprefix("http://")
        settings.GEOCODER_SCHEME = "http"
        settings.GEOCODER_MIN_DELAY_MS = 0
        settings.GEOCODER_TIMEOUT = 1
        yield seen


def test_a_geocoder_timeout_leaves_the_location_saved_and_pending(slow_geocoder):
    make_place(code="55403", lat=44.97, lng=-93.28)
    location = make_location(latitude=None, longitude=None, address="1 Slow St")
    assert location_geocode(location=location) is False
    location.refresh_from_db()
    assert (location.latitude, location.longitude) == (44.97, -93.28)
    assert location.needs_geocoding is True


def test_an_organizers_location_save_never_waits_on_the_geocoder(client, settings, monkeypatch):
    """Organizer edits are saved at once; geocode_pending places them later."""

    def network(*args, **kwargs):
        raise AssertionError("the geocoder was called during a request")

    settings.GEOCODER = "nominatim"
    monkeypatch.setattr("meetings.places.lookup", network)
    group = make_group()
    location = make_location(name="Our Hall")
    make_meeting(group=group, location=location)
    client.force_login(make_organizer(group))
    url = reverse("manage:directory_location_change", args=[location.pk])
    data = {
        name: getattr(location, name)
        for name in ["name", "city", "state", "postal_code", "country", "timezone"]
    }
    data |= {
        "address": "200 New St",
        "latitude": location.latitude,
        "longitude": location.longitude,
        "directions": "",
        "accessibility_notes": "",
    }
    assert client.post(url, data).status_code == 302
    location.refresh_from_db()
    assert location.address == "200 New St"


# Imports ------------------------------------------------------------------------------


def test_an_import_killed_midway_leaves_the_database_as_it_was(monkeypatch):
    from django.core.management import call_command

    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    aa = Fellowship.objects.get(slug="aa")
    rows = [
        {
            "name": f"Meeting {n}",
            "slug": f"meeting-{n}",
            "group": f"Group {n}",
            "day": n % 7,
            "time": "19:00",
            "location": f"Hall {n}",
            "formatted_address": f"{n} Main St, Minneapolis, MN 55403, USA",
            "latitude": 44.97,
            "longitude": -93.28 + n / 1000,
            "timezone": "America/Chicago",
        }
        for n in range(1, 6)
    ]
    meetings_import(
        records=parse(json.dumps(rows[:2]).encode(), "meeting-guide"), fellowship=aa, source="t"
    )
    before = [model.objects.count() for model in (Group, Location, Meeting, Meeting.history.model)]
    written = importing._Importer._write_locations

    def killed_after_locations(self):
        written(self)  # groups and locations are in; then the process is interrupted
        assert Location.objects.count() > before[1]
        raise KeyboardInterrupt

    monkeypatch.setattr(importing._Importer, "_write_locations", killed_after_locations)
    with pytest.raises(KeyboardInterrupt):
        meetings_import(
            records=parse(json.dumps(rows).encode(), "meeting-guide"), fellowship=aa, source="t"
        )
    after = [model.objects.count() for model in (Group, Location, Meeting, Meeting.history.model)]
    assert after == before


# Streams: an outage before the first byte is a 503, a cut stream is never kept -------


@pytest.mark.parametrize("feed", ["meetings:meeting-feed", "meetings:hsds-services"])
def test_the_feed_answers_503_when_the_database_fails_before_its_first_rows(
    client, monkeypatch, feed
):
    make_meeting()

    def unreachable(meetings, fields=None):
        raise OperationalError("could not connect to server: Connection refused")
        yield  # a generator, as the real one

    monkeypatch.setattr("meetings.feeds._meeting_chunks", unreachable)
    response = client.get(reverse(feed))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "public" not in response["Cache-Control"]


@pytest.mark.parametrize(
    "feed, model", [("hsds-organizations", "Group"), ("hsds-locations", "Location")]
)
def test_the_hsds_lists_answer_503_when_the_database_fails_and_keep_no_lock(
    client, monkeypatch, feed, model
):
    make_meeting()

    class Unreachable:
        class objects:  # noqa: N801 (as a model's manager is named)
            @staticmethod
            def filter(*args, **kwargs):
                raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(f"meetings.feeds.{model}", Unreachable)
    response = client.get(reverse(f"meetings:{feed}"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    monkeypatch.undo()

    def waited(seconds):
        raise AssertionError("the failed build kept its lock: the next request waited")

    monkeypatch.setattr("meetings.feed_cache.time.sleep", waited)
    assert client.get(reverse(f"meetings:{feed}")).status_code == 200


def test_a_feed_cut_off_midway_is_never_kept(client, monkeypatch):
    from meetings import feeds

    meetings = [make_meeting(day=day) for day in range(3)]
    real_chunks = feeds._meeting_chunks

    def cut_after_the_first_chunk(queryset):
        chunks = real_chunks(queryset)
        yield next(chunks)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(feeds, "FEED_CHUNK", 1)
    monkeypatch.setattr(feeds, "_meeting_chunks", cut_after_the_first_chunk)
    response = client.get(reverse("meetings:meeting-feed"))
    assert response.status_code == 200  # the first rows were out before the cut
    with pytest.raises(OperationalError):
        b"".join(response.streaming_content)
    monkeypatch.setattr(feeds, "_meeting_chunks", real_chunks)

    def waited(seconds):
        raise AssertionError("the cut build kept its lock: the next request waited for it")

    monkeypatch.setattr("meetings.feed_cache.time.sleep", waited)
    again = client.get(reverse("meetings:meeting-feed"))
    assert again.streaming  # built again, not a truncated copy from the cache
    rows = json.loads(b"".join(again.streaming_content))
    assert sorted(row["slug"] for row in rows) == sorted(m.slug for m in meetings)
