"""Search pages and the feed are cached, keyed by the listings' version, and dropped
whenever a listing changes; with REDIS_URL set, the same against the real Redis."""

import json
import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.listings import listings_changing, listings_version
from meetings.services import meetings_confirm
from tests.conftest import make_meeting, make_place

pytestmark = pytest.mark.django_db


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def nearby():
    make_place()
    return [make_meeting(name=f"Lakeside {n}", day=n % 7) for n in range(3)]


def test_a_repeated_search_is_read_from_the_cache(client, nearby):
    url = reverse("meetings:meeting-list")
    first, page = _queries(client, url, {"near": "55404"})
    second, again = _queries(client, url, {"near": "55404"})
    assert second < first
    assert page.content == again.content


def test_parameters_in_another_order_share_the_cached_page(client, nearby):
    url = reverse("meetings:meeting-list")
    first, _page = _queries(client, url + "?near=55404&radius=25")
    second, _page = _queries(client, url + "?radius=25&near=55404&q=")
    assert second < first


def test_a_group_approved_by_staff_shows_on_the_next_search(client, nearby):
    from directory.models import Group
    from directory.services import group_approve
    from tests.conftest import make_group, make_user

    url = reverse("meetings:meeting-list")
    pending = make_group(name="Waiting Room Group", status=Group.Status.PENDING)
    make_meeting(group=pending, name="Waiting Room")
    assert "Waiting Room" not in client.get(url, {"near": "55404"}).content.decode()
    group_approve(group=pending, by=make_user(is_staff=True))
    assert "Waiting Room" in client.get(url, {"near": "55404"}).content.decode()


def test_an_organizers_edit_in_manage_shows_on_the_next_search(client, nearby):
    from tests.conftest import make_organizer

    url = reverse("meetings:meeting-list")
    assert "Lakeside Hall" not in client.get(url, {"near": "55404"}).content.decode()
    location = nearby[0].location
    organizer = make_organizer(nearby[0].group)
    client.force_login(organizer)
    change = reverse("manage:directory_location_change", args=[location.pk])
    data = {
        name: getattr(location, name)
        for name in ["address", "city", "state", "postal_code", "country", "timezone"]
    }
    data |= {
        "name": "Lakeside Hall",
        "latitude": location.latitude,
        "longitude": location.longitude,
        "directions": "",
        "accessibility_notes": "",
    }
    assert client.post(change, data).status_code == 302
    client.logout()
    assert "Lakeside Hall" in client.get(url, {"near": "55404"}).content.decode()


def test_a_meeting_renamed_through_the_orm_shows_on_the_next_search(client, nearby):
    url = reverse("meetings:meeting-list")
    assert "Lakeside 0" in client.get(url, {"near": "55404"}).content.decode()
    nearby[0].name = "Harbor Light"
    nearby[0].save()
    page = client.get(url, {"near": "55404"}).content.decode()
    assert "Harbor Light" in page and "Lakeside 0" not in page


def test_a_change_of_types_drops_the_cache(nearby, spec_types):
    before = listings_version()
    nearby[0].types.add(spec_types["W"])
    assert listings_version() != before


def test_bulk_writes_drop_the_cache_once(nearby):
    before = listings_version()
    with listings_changing():
        nearby[0].save()
        nearby[1].save()
        assert listings_version() == before
    assert listings_version() != before
    before = listings_version()
    meetings_confirm(meetings=type(nearby[0]).objects.all(), by=None)
    assert listings_version() != before


def test_the_feed_is_cached_until_a_listing_changes(client, nearby):
    url = reverse("meetings:meeting-feed")
    first = b"".join(client.get(url).streaming_content)
    cached = client.get(url)
    assert not cached.streaming  # the whole body, from the cache
    assert cached.content == first
    assert cached["Access-Control-Allow-Origin"] == "*"
    nearby[1].name = "Harbor Light"
    nearby[1].save()
    fresh = client.get(url)
    names = [row["name"] for row in json.loads(b"".join(fresh.streaming_content))]
    assert "Harbor Light" in names


def test_an_import_drops_the_cache(client, nearby):
    from django.core.management import call_command

    from directory.models import Fellowship
    from meetings.formats import parse
    from meetings.importing import meetings_import

    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    before = listings_version()
    row = {
        "name": "Imported Hope",
        "slug": "imported-hope",
        "day": 2,
        "time": "18:00",
        "formatted_address": "1 Main St, Minneapolis, MN 55403, USA",
        "latitude": 44.97,
        "longitude": -93.27,
        "timezone": "America/Chicago",
    }
    meetings_import(
        records=parse(json.dumps([row]).encode(), "meeting-guide"),
        fellowship=Fellowship.objects.get(slug="aa"),
        source="t",
    )
    assert listings_version() != before
    page = client.get(reverse("meetings:meeting-list"), {"near": "55404", "radius": 25})
    assert "Imported Hope" in page.content.decode()


# The real Redis (REDIS_URL, as .ci/run sets it) -----------------------------------------

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no Redis to test against"
)


@needs_redis
def test_the_cache_is_redis_when_redis_url_is_set(settings):
    assert settings.CACHES["default"]["BACKEND"] == "recoverymap.cache.FailSoftRedisCache"
    cache.set("probe", {"a": 1}, 30)
    assert cache.get("probe") == {"a": 1}
    assert cache.add("counter", 1)
    assert not cache.add("counter", 5)
    assert cache.incr("counter") == 2


@needs_redis
def test_clearing_the_cache_leaves_other_prefixes_keys_in_redis(settings):
    """Two sites (or two test runs) sharing one Redis database never clear each other."""
    from django.core.cache.backends.redis import RedisCache

    neighbour = RedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": "neighbour"})
    neighbour.set("theirs", "kept", 60)
    cache.set("ours", "gone", 60)
    try:
        cache.clear()
        assert cache.get("ours") is None
        assert neighbour.get("theirs") == "kept"
    finally:
        neighbour.delete("theirs")


@needs_redis
def test_search_and_feed_caching_work_on_redis(client, nearby):
    url = reverse("meetings:meeting-list")
    first, _page = _queries(client, url, {"near": "55404"})
    second, _page = _queries(client, url, {"near": "55404"})
    assert second < first
    feed = reverse("meetings:meeting-feed")
    b"".join(client.get(feed).streaming_content)
    assert not client.get(feed).streaming
    nearby[0].name = "Harbor Light"
    nearby[0].save()
    assert "Harbor Light" in client.get(url, {"near": "55404"}).content.decode()


# Expensive anonymous answers: the whole feed, HSDS pages, calendars, /sources/ -----------


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_whole_feed_asked_again_is_served_without_the_database(
    client, nearby, django_assert_num_queries
):
    url = reverse("meetings:meeting-feed")
    first = client.get(url)
    body = _body(first)
    assert len(json.loads(body)) == 3
    with django_assert_num_queries(0):
        again = client.get(url)
    assert _body(again) == body
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=300"


def test_a_client_holding_the_feed_gets_a_304_without_the_database(
    client, nearby, django_assert_num_queries
):
    url = reverse("meetings:meeting-feed")
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(0):
        unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert unchanged["Access-Control-Allow-Origin"] == "*"


def test_a_changed_listing_gives_the_feed_a_new_etag_and_body(client, nearby):
    url = reverse("meetings:meeting-feed")
    etag = client.get(url)["ETag"]
    nearby[2].name = "Harbor Light"
    nearby[2].save()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Harbor Light" in [row["name"] for row in json.loads(_body(changed))]


def test_a_client_that_accepts_gzip_gets_the_kept_copy_compressed(client, nearby):
    import gzip

    url = reverse("meetings:meeting-feed")
    body = _body(client.get(url))
    kept = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert kept["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in kept["Vary"]
    assert gzip.decompress(_body(kept)) == body
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused and _body(refused) == body


def test_a_feed_kept_in_many_parts_comes_back_whole(client, monkeypatch, django_assert_num_queries):
    import gzip

    from meetings import feed_cache

    make_place()
    for n in range(40):
        make_meeting(name=f"Meeting {n}", day=n % 7)
    monkeypatch.setattr(feed_cache, "PART_BYTES", 256)
    url = reverse("meetings:meeting-feed")
    body = _body(client.get(url))
    with django_assert_num_queries(0):
        plain = client.get(url)
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert plain.streaming and _body(plain) == body
        assert gzip.decompress(_body(zipped)) == body
    assert len(json.loads(body)) == 40


@pytest.fixture
def another_process_building(monkeypatch):
    """Every claim of a feed's lock fails, as when another process is building it; the
    claimed feeds are listed."""
    from meetings.feed_cache import KeptFeed

    claimed = []

    def claim(self):
        cache.add(self.lock_key, 1, 60)
        claimed.append(self)
        return False

    monkeypatch.setattr(KeptFeed, "claim", claim)
    return claimed


def test_while_another_process_builds_the_feed_the_previous_copy_is_served(
    client, nearby, another_process_building, django_assert_num_queries
):
    url = reverse("meetings:meeting-feed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("meetings.feed_cache.KeptFeed.claim", lambda self: True)
        old = client.get(url)
        old_body = _body(old)
    nearby[0].name = "Harbor Light"
    nearby[0].save()
    with django_assert_num_queries(0):
        served = client.get(url)
    assert another_process_building  # it asked for the lock of the new version
    assert served["ETag"] == old["ETag"] and _body(served) == old_body


def test_with_no_previous_copy_it_waits_for_the_other_builder(
    client, nearby, another_process_building, monkeypatch
):
    from meetings.feeds import feed_json
    from meetings.models import Meeting

    sleeps = []

    def other_process_finishes(seconds):
        sleeps.append(seconds)
        kept = another_process_building[-1]
        pieces = feed_json(Meeting.objects.public().order_by("id"), base_url="http://testserver")
        b"".join(kept.keep(pieces, locked=True))

    monkeypatch.setattr("meetings.feed_cache.time.sleep", other_process_finishes)
    response = client.get(reverse("meetings:meeting-feed"))
    assert len(sleeps) == 1
    assert not response.streaming  # the other's copy, not a build of its own
    assert len(json.loads(response.content)) == 3


def test_a_feed_that_asks_the_time_is_built_each_time(client, nearby):
    url = reverse("meetings:meeting-feed")
    first = client.get(url, {"time": "now"})
    assert first.streaming and "ETag" not in first
    assert client.get(url, {"time": "now"}).streaming


def test_an_hsds_page_asked_again_is_served_without_the_database(
    client, nearby, django_assert_num_queries
):
    url = reverse("meetings:hsds-services")
    first = client.get(url, {"per_page": 2})
    body = _body(first)
    assert json.loads(body)["total_items"] == 3
    with django_assert_num_queries(0):
        again = client.get(url, {"per_page": 2})
        unchanged = client.get(url, {"per_page": 2}, headers={"If-None-Match": first["ETag"]})
    assert _body(again) == body
    assert unchanged.status_code == 304
    other_page = client.get(url, {"per_page": 2, "page": 2})
    assert len(json.loads(_body(other_page))["contents"]) == 1


def test_a_calendar_asked_again_with_its_etag_is_a_304(client, nearby):
    url = reverse("meetings:search-calendar")
    first = client.get(url, {"near": "55404"})
    assert first.status_code == 200 and first["ETag"]
    again = client.get(url, {"near": "55404"}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    nearby[0].name = "Harbor Light"
    nearby[0].save()
    changed = client.get(url, {"near": "55404"}, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and "Harbor Light" in changed.content.decode()


def test_the_sources_page_counts_meetings_once_per_version_of_the_listings(client):
    from meetings.models import Source
    from tests.conftest import make_group

    group = make_group()
    source = Source.objects.create(
        name="Intergroup", url="/srv/feed.json", format="csv", fellowship=group.fellowship
    )
    listed = make_meeting(group=group, feed=source)
    url = reverse("meetings:source-list")
    first, page = _queries(client, url)
    assert "<td>1</td>" in page.content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    make_meeting(group=group, feed=source, name="Second", day=(listed.day + 1) % 7)
    assert "<td>2</td>" in client.get(url).content.decode()


def test_one_client_gets_a_few_new_exports_a_minute_and_the_kept_ones_always(
    client, nearby, settings
):
    settings.EXPORT_BUILDS_PER_MINUTE = 2
    calendar, feed = reverse("meetings:search-calendar"), reverse("meetings:meeting-feed")
    assert client.get(calendar, {"near": "55404"}).status_code == 200
    kept = client.get(feed, {"day": "1"})
    assert kept.status_code == 200
    b"".join(kept.streaming_content)  # read to the end: then it is kept

    # A third new build this minute: refused, saying when to come back.
    refused = client.get(calendar, {"near": "55404", "day": "2"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Try again in" in refused.content.decode()
    api = client.get(feed, {"day": "3"})
    assert api.status_code == 429 and "Try again in" in api.json()["error"]
    assert api["Access-Control-Allow-Origin"] == "*"

    # What is kept costs nothing and is never refused; another address has its own count.
    assert client.get(calendar, {"near": "55404"}).status_code == 200
    assert client.get(feed, {"day": "1"}).status_code == 200
    assert client.get(feed, {"day": "3"}, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_the_export_limit_counts_in_the_process_when_redis_is_down(redis_down, settings, rf):
    from recoverymap.lib.clients import export_build_refused

    settings.EXPORT_BUILDS_PER_MINUTE = 1
    request = rf.get("/meetings.ics")
    assert export_build_refused(request) is None
    assert export_build_refused(request) is not None


def test_a_client_over_the_export_limit_gets_the_previous_copy_with_the_feeds_headers(
    client, nearby, settings
):
    settings.EXPORT_BUILDS_PER_MINUTE = 1
    feed = reverse("meetings:meeting-feed")
    first = client.get(feed, {"day": "1"})
    body = b"".join(first.streaming_content)  # read to the end: then it is kept
    nearby[0].name = "Harbor Light"
    nearby[0].save()  # a new version of the listings, not built yet

    previous = client.get(feed, {"day": "1"})

    assert previous.status_code == 200
    assert previous.content == body
    assert previous["Access-Control-Allow-Origin"] == "*"
    assert previous["Cache-Control"] == "public, max-age=300"
