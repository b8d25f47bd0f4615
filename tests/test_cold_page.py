"""A search nobody has made before is built from the database in a handful of queries,
whatever the filters, and says the same as before: counts, widening, the online section.

Query counts, not timings: bench/search.py measures the time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from tests.conftest import make_group, make_location, make_meeting, make_place

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 30, tzinfo=CHICAGO)
DOWNTOWN = (44.9609, -93.2642)  # ZIP 55404
URL = reverse("meetings:meeting-list")
# The place; the count, which with the widening check gives the page too; the hours the
# online count covers and the online count; the cards of both lists (with their types' ids
# and "reported gone" flags); every type (named on the cards and in the form), fellowships.
COLD_PAGE_QUERIES = 7


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_EVENING.astimezone(dt.UTC))
    return MONDAY_EVENING


@pytest.fixture
def town(db, spec_types, now):
    make_place()
    for i in range(30):
        make_meeting(
            name=f"Room {i}",
            location=make_location(latitude=DOWNTOWN[0] + i / 400, longitude=DOWNTOWN[1]),
            start_time=dt.time(18 if i % 5 == 0 else 7 + i % 14),  # six under way
            types=["W"] if i % 3 else ["S", "O"],
        )
    for i in range(8):
        make_meeting(
            name=f"Zoom {i}",
            attendance="online",
            conference_url=f"https://zoom.us/j/{i}",
            start_time=dt.time(18 + i % 4, 45),
            types=["W", "S"],
        )


def _cold(client, django_assert_max_num_queries, limit=COLD_PAGE_QUERIES, **params):
    cache.clear()  # nothing kept: no page, no online section
    with django_assert_max_num_queries(limit):
        response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cold_results_page_is_built_in_a_handful_of_queries(
    client, town, now, django_assert_max_num_queries
):
    html = _cold(client, django_assert_max_num_queries, near="55404")
    assert "30 meetings within 10 mi" in html
    section = html[html.index("Online meetings that match") :]
    assert "Also 8 online meetings that match" in html
    assert "Zoom 0" in section and "Room 0" not in section
    # Types of both lists are read (once, together): each card still shows them.
    assert section.count("Spanish") == 5
    assert "Women" in html[: html.index("Online meetings that match")]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "soonest"},
        {"type": "W"},
        {"language": "S", "day": "1"},
        {"time": "now"},
        {"time": ["next_hour", "evening"]},
        {"radius": "25", "page": "2"},
        {"view": "map"},
    ],
)
def test_filtered_cold_pages_stay_within_a_handful_of_queries(
    client, town, now, django_assert_max_num_queries, params
):
    # A filter on types looks the types up first (one query each, see _type_links).
    extra = ("type" in params) + ("language" in params)
    _cold(client, django_assert_max_num_queries, COLD_PAGE_QUERIES + extra, near="55404", **params)


def test_a_cold_page_in_spanish_reads_nothing_more_than_the_translations(
    client, town, now, django_assert_max_num_queries
):
    """The cards are read once for the page (results.meeting_cards), the fellowships'
    names in Spanish with them."""
    cache.clear()
    with django_assert_max_num_queries(COLD_PAGE_QUERIES + 1):  # the fellowships' Spanish
        response = client.get("/es/meetings/", {"near": "55404", "view": "map"})
    assert response.status_code == 200
    assert "Reuniones cerca de" in response.content.decode()


def test_without_a_place_the_online_list_is_a_handful_of_queries_too(
    client, town, now, django_assert_max_num_queries
):
    # No place, nor the online section's hours and count.
    html = _cold(client, django_assert_max_num_queries, COLD_PAGE_QUERIES - 3)
    assert "8 meetings" in html and "Zoom 0" in html


def test_a_kept_page_whose_section_is_built_alone_still_shows_its_types(
    client, town, now, monkeypatch
):
    first = client.get(URL, {"near": "55404"}).content.decode()
    # A minute later the page is still kept but the online section is built again, on
    # its own: its meetings' types and reports are read for it alone.
    later = MONDAY_EVENING + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later.astimezone(dt.UTC))
    again = client.get(URL, {"near": "55404"}).content.decode()
    assert again == first
    assert again[again.index("Online meetings that match") :].count("Spanish") == 5


def test_when_the_cap_hides_how_many_are_in_person_they_are_counted_apart(client, db, now):
    """Over 500 results inside 10 miles but only three of them in person: the circle
    still widens until five in-person meetings are inside, as before the count and the
    check were one read."""
    make_place()
    group = make_group()
    near = make_location(latitude=DOWNTOWN[0] + 0.01, longitude=DOWNTOWN[1])
    Meeting.objects.bulk_create(
        Meeting(
            group=group,
            location=near,
            name=f"Zoom {i}",
            slug=f"zoom-{i}",
            attendance="online",
            conference_url=f"https://zoom.us/j/{i}",
            day=i % 7,
            start_time=dt.time(7 + i % 12),
            end_time=dt.time(8 + i % 12),
            timezone="America/Chicago",
        )
        for i in range(520)
    )
    for i in range(3):
        make_meeting(name=f"Close {i}", location=near)
    for i in range(3):  # about 17 miles north
        far = make_location(latitude=DOWNTOWN[0] + 0.25, longitude=DOWNTOWN[1])
        make_meeting(name=f"Further {i}", location=far)
    html = client.get(URL, {"near": "55404"}).content.decode()
    assert "More than 500 meetings within 25 mi (none within 10 mi)" in html


def test_use_my_location_reads_only_the_places_around_the_point(db):
    """The nearest town to "lat,lng" is a range of the (latitude, longitude) index, not
    a scan of the whole gazetteer, and still the nearest within 25 miles."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings.gazetteer import town_near

    make_place()  # 55404 Minneapolis
    make_place(code="55101", city="Saint Paul", lat=44.9517, lng=-93.0892)
    make_place(code="55806", city="Duluth", lat=46.77, lng=-92.12)
    with CaptureQueriesContext(connection) as queries:
        assert town_near(44.95, -93.12, 25) == "Saint Paul, MN"
    assert town_near(46.0, -94.6, 25) == ""  # nothing within 25 miles
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # three rows: make it choose
        cursor.execute(
            "EXPLAIN " + ("QUERY PLAN " if connection.vendor == "sqlite" else "") + query["sql"]
        )
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "place_lat_lng_idx" in plan
    assert "ORDER BY" not in query["sql"]
