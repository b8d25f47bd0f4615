"""Whole search pages are kept as HTML for visitors who are not signed in, and served
again only while every word on them that changes with the clock still reads the same."""

import datetime as dt
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.listings import area_at, areas_near
from meetings.models import ProblemReport
from meetings.page_cache import labels_valid_until, next_midnight
from meetings.schedule import Occurrence
from meetings.services import problem_report_submit, problem_reports_close
from tests.conftest import make_location, make_meeting, make_place, make_user

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2026-11-23, 18:30 in Minneapolis; the meeting below starts at 19:00.
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 30, tzinfo=CHICAGO)
URL = reverse("meetings:meeting-list")


class Clock:
    def __init__(self, monkeypatch, moment):
        self.moment = moment
        monkeypatch.setattr(timezone, "now", lambda: self.moment.astimezone(dt.UTC))

    def advance(self, **delta):
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_EVENING)


@pytest.fixture
def lakeside(db):
    make_place()
    return make_meeting(name="Lakeside", day=1, start_time=dt.time(19, 0))


def _get(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_repeat_search_is_served_whole_without_the_database(client, lakeside, clock, monkeypatch):
    first, first_queries = _get(client, {"near": "55404"})
    reads = []
    store = caches["default"]

    def counted(name, method):
        def read(*args, **kwargs):
            outermost = not getattr(store, "_reading", False)
            if outermost:  # (a local-memory cache's get_many is made of its gets)
                reads.append(name)
            store._reading = True
            try:
                return method(*args, **kwargs)
            finally:
                store._reading = not outermost

        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    again, queries = _get(client, {"radius": "", "near": "55404"})
    assert first_queries > 0
    assert queries == 0
    # The page; the versions of its areas and its online section's, in one read; the
    # section of this minute.
    assert reads == ["get", "get_many", "get"]
    assert again == first
    assert "Lakeside" in again


def test_a_kept_page_is_not_served_once_a_meeting_on_it_starts(client, lakeside, clock):
    html, built = _get(client, {"near": "55404"})
    assert "Happening now" not in html
    clock.advance(minutes=29)  # 18:59: nothing on the results reads differently yet
    html, queries = _get(client, {"near": "55404"})
    assert queries < built  # the minute's online section alone is built
    assert "Happening now" not in html
    clock.advance(minutes=1)  # 19:00
    html, queries = _get(client, {"near": "55404"})
    assert queries > 0
    assert "Happening now" in html


def _day_words(html):
    return re.findall(r'<p class="when">.*?<strong>(.*?)</strong>', html)


def test_tomorrow_becomes_today_at_midnight(client, clock):
    make_place()
    make_meeting(name="Morning Light", day=2, start_time=dt.time(10, 0))  # Tuesday
    clock.advance(hours=5)  # 23:30 Monday
    html, _queries = _get(client, {"near": "55404"})
    assert _day_words(html) == ["Tomorrow"]
    clock.advance(seconds=30)  # 23:30:30
    html, queries = _get(client, {"near": "55404"})
    assert queries == 0 and _day_words(html) == ["Tomorrow"]
    clock.advance(minutes=29)  # 23:59:30
    html, _queries = _get(client, {"near": "55404"})
    assert _day_words(html) == ["Tomorrow"]
    clock.advance(seconds=30)  # 00:00 Tuesday
    html, _queries = _get(client, {"near": "55404"})
    assert _day_words(html) == ["Today"]


def test_the_online_section_follows_the_minute_while_the_page_is_kept(client, lakeside, clock):
    make_meeting(
        name="Zoom at seven",
        attendance="online",
        conference_url="https://zoom.us/j/7",
        day=1,
        start_time=dt.time(18, 45),
    )
    html, _queries = _get(client, {"near": "55404", "attendance": "in_person"})
    assert "Online meetings that match" not in html
    html, _queries = _get(client, {"near": "55404"})
    assert "Zoom at seven" in html
    clock.advance(minutes=16)  # 18:46: the online meeting began; the room's page is kept
    html, queries = _get(client, {"near": "55404"})
    section = html[html.index("Online meetings that match") :]
    assert "Happening now" in section
    assert queries < 10  # the section alone was built again, not the results


def test_a_signed_in_person_never_gets_or_leaves_a_kept_page(client, lakeside, clock):
    anonymous, _queries = _get(client, {"near": "55404"})
    assert "Sign out" not in anonymous
    person = make_user(display_name="Sam")
    client.force_login(person)
    theirs, queries = _get(client, {"near": "55404"})
    assert "Sign out" in theirs and queries > 0
    client.logout()
    html, _queries = _get(client, {"near": "55404", "q": ""})
    assert "Sign out" not in html


def test_a_message_for_one_visitor_is_never_kept_for_the_next(client, lakeside, clock):
    slug = lakeside.slug
    response = client.post(
        reverse("meetings:meeting-report", args=[slug]),
        {"category": "other", "message": "The door is on the side."},
    )
    assert response.status_code == 302
    html, _queries = _get(client, {"near": "55404"})  # the thank-you shows here
    assert "Thank you" in html
    html, _queries = _get(client, {"near": "55404"})
    assert "Thank you" not in html


def test_reports_that_a_meeting_is_gone_show_on_the_next_search(client, lakeside, clock):
    _get(client, {"near": "55404"})
    for n in range(3):
        problem_report_submit(meeting=lakeside, category="gone", client_key=f"client-{n}")
    html, _queries = _get(client, {"near": "55404"})
    assert "Reported as not meeting" in html
    problem_reports_close(
        reports=ProblemReport.objects.all(), status="resolved", by=make_user(is_staff=True)
    )
    html, _queries = _get(client, {"near": "55404"})
    assert "Reported as not meeting" not in html


def test_a_bad_search_is_not_kept(client, lakeside, clock):
    html, _queries = _get(client, {"near": "Atlantis"})
    assert "We couldn" in html
    html, queries = _get(client, {"near": "Atlantis"})
    assert queries > 0


def _row(start, minutes=60):
    return SimpleNamespace(occurrence=Occurrence(start, start + dt.timedelta(minutes=minutes)))


def test_labels_are_valid_until_the_first_start_end_or_midnight():
    now = MONDAY_EVENING  # 18:30

    def at(hour, minute=0):
        return MONDAY_EVENING.replace(hour=hour, minute=minute)

    later = _row(at(21))
    running = _row(at(18), minutes=90)  # 18:00-19:30
    assert labels_valid_until([later], now, soonest=False) == at(21)  # "Happening now"
    assert labels_valid_until([later, running], now, soonest=False) == at(19, 30)  # it ends
    # Soonest first, the 18:00 meeting leaves the top of the order at 19:00.
    assert labels_valid_until([later, running], now, soonest=True) == at(19)
    week_away = _row(MONDAY_EVENING + dt.timedelta(days=6))
    midnight = dt.datetime(2026, 11, 24, tzinfo=CHICAGO)
    assert labels_valid_until([week_away], now, soonest=False) == midnight
    assert next_midnight(now, "America/New_York") == midnight - dt.timedelta(hours=1)
    assert labels_valid_until([], now, soonest=True) == now + dt.timedelta(days=1)


# -- areas: a change drops only the kept pages whose search could show it ----------------


@pytest.fixture
def two_towns(db):
    make_place()  # 55404 Minneapolis
    make_place(
        code="59001", city="Absarokee", state="MT", lat=45.52, lng=-109.44, tz="America/Denver"
    )
    minneapolis = make_meeting(name="Lakeside", day=1, start_time=dt.time(19, 0))
    montana = make_meeting(
        name="Big Sky",
        day=1,
        start_time=dt.time(19, 0),
        location=make_location(
            name="Grange Hall", city="Absarokee", state="MT", latitude=45.52, longitude=-109.44,
            timezone="America/Denver",
        ),
    )  # fmt: skip
    return minneapolis, montana


def test_an_edit_far_away_leaves_a_kept_page_alone(client, two_towns, clock):
    minneapolis, montana = two_towns
    _get(client, {"near": "55404"})
    montana.name = "Big Sky Serenity"
    montana.save()
    html, queries = _get(client, {"near": "55404"})
    assert queries == 0 and "Lakeside" in html
    html, _queries = _get(client, {"near": "59001"})
    assert "Big Sky Serenity" in html


def test_an_edit_within_reach_shows_on_the_next_search(client, two_towns, clock):
    minneapolis, _montana = two_towns
    _get(client, {"near": "55404"})
    minneapolis.name = "Lakeside Serenity"
    minneapolis.save()
    html, _queries = _get(client, {"near": "55404"})
    assert "Lakeside Serenity" in html


def test_a_venue_that_moves_leaves_the_old_place_and_joins_the_new(client, two_towns, clock):
    _minneapolis, montana = two_towns
    near_minneapolis, _q = _get(client, {"near": "55404"})
    near_montana, _q = _get(client, {"near": "59001"})
    assert "Big Sky" not in near_minneapolis and "Big Sky" in near_montana
    venue = montana.location
    venue.latitude, venue.longitude, venue.timezone = 44.97, -93.27, "America/Chicago"
    venue.save()
    assert "Big Sky" in _get(client, {"near": "55404"})[0]
    assert "Big Sky" not in _get(client, {"near": "59001"})[0]


def test_a_new_online_meeting_shows_on_the_online_search(client, two_towns, clock):
    assert "Zoom Hope" not in _get(client, {})[0]
    make_meeting(name="Zoom Hope", attendance="online", conference_url="https://zoom.us/j/9")
    assert "Zoom Hope" in _get(client, {})[0]


def test_a_fellowship_change_drops_every_kept_page(client, two_towns, clock):
    minneapolis, _montana = two_towns
    _get(client, {"near": "59001"})
    fellowship = minneapolis.group.fellowship
    fellowship.abbreviation = "LKS"
    fellowship.save()
    _html, queries = _get(client, {"near": "59001"})
    assert queries > 0


def test_the_feed_follows_every_change_wherever_it_is(client, two_towns, clock):
    _minneapolis, montana = two_towns
    feed = reverse("meetings:meeting-feed")
    b"".join(client.get(feed).streaming_content)
    montana.name = "Big Sky Serenity"
    montana.save()
    assert b"Big Sky Serenity" in b"".join(client.get(feed).streaming_content)


def test_the_areas_a_search_reaches():
    assert area_at(44.96, -93.26) == "44:-94"
    assert areas_near(44.5, -93.5, 10) == ["44:-94"]
    assert set(areas_near(44.96, -93.26, 10)) == {"44:-94", "45:-94"}  # 10 mi north is 45°
    wide = areas_near(44.96, -93.26, 100)
    assert "44:-94" in wide and "45:-95" in wide and len(wide) <= 30
    # Across the antimeridian the columns wrap round.
    assert {"51:179", "51:-180"} <= set(areas_near(51.9, 179.9, 10))
    assert areas_near(89.9, 0, 100) is None  # near a pole: too many to follow
