"""Finding a meeting: near a place, with every filter, soonest or nearest first."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from geopy.distance import geodesic

from meetings.filters import MeetingFilter
from meetings.models import Meeting
from recoverymap.lib.geo import Point
from tests.conftest import make_fellowship, make_group, make_location, make_meeting, make_place

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2026-11-23, 18:30 in Minneapolis.
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 30, tzinfo=CHICAGO)
DOWNTOWN = (44.9609, -93.2642)  # ZIP 55404


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_EVENING.astimezone(dt.UTC))
    return MONDAY_EVENING


@pytest.fixture
def places(db):
    make_place()  # 55404 Minneapolis
    make_place(code="55101", city="Saint Paul", lat=44.9517, lng=-93.0892)
    make_place(
        code="59001", city="Absarokee", state="MT", lat=45.52, lng=-109.44, tz="America/Denver"
    )


def at(lat, lng, **kw):
    return make_location(latitude=lat, longitude=lng, **kw)


def search(client, **params):
    response = client.get(reverse("meetings:meeting-list"), params)
    assert response.status_code == 200
    return response


def names(response):
    return [row.meeting.display_name for row in response.context["rows"]]


def test_it_finds_meetings_near_a_zip_code_nearest_first(client, places, now):
    for miles_north in (3, 1, 2, 8, 4):
        make_meeting(
            name=f"{miles_north} mi", location=at(DOWNTOWN[0] + miles_north / 69.05, DOWNTOWN[1])
        )
    make_meeting(name="Far away", location=at(46.8, -92.1))  # Duluth, ~140 mi
    response = search(client, near="55404")
    assert names(response) == ["1 mi", "2 mi", "3 mi", "4 mi", "8 mi"]
    html = response.content.decode()
    assert "1.0 mi" in html and "8.0 mi" in html
    assert "Far away" not in html


def test_distances_agree_with_geodesic_within_half_a_percent(places, now):
    targets = [(44.98, -93.27), (45.2, -93.5), (44.5, -92.9), (45.6, -94.1), (44.96, -93.2642)]
    for lat, lng in targets:
        make_meeting(location=at(lat, lng))
    point = Point(*DOWNTOWN, "55404")
    for meeting in Meeting.objects.public().near(point, 100):
        loc = meeting.location
        expected = geodesic(DOWNTOWN, (loc.latitude, loc.longitude)).miles
        if expected == 0:
            assert meeting.distance_miles < 0.001
        else:
            assert abs(meeting.distance_miles - expected) / expected < 0.005


def test_the_radius_is_exact_at_the_edge(places, now):
    inside = make_meeting(location=at(DOWNTOWN[0] + 9.9 / 69.05, DOWNTOWN[1]))
    make_meeting(location=at(DOWNTOWN[0] + 10.1 / 69.05, DOWNTOWN[1]))
    point = Point(*DOWNTOWN, "55404")
    assert list(Meeting.objects.public().near(point, 10)) == [inside]


def test_a_town_name_works_like_a_zip_code(client, places, now):
    make_meeting(name="Saint Paul noon", location=at(44.95, -93.09))
    response = search(client, near="St. Paul, MN", radius=5)
    assert names(response)[0] == "Saint Paul noon"
    assert "Saint Paul, MN" in response.content.decode()


def test_lat_lng_works_too(client, places, now):
    make_meeting(name="Here", location=at(44.97, -93.26))
    assert names(search(client, near="44.97,-93.26", radius=1)) == ["Here"]


def test_an_unknown_place_is_a_helpful_form_error(client, places, now):
    make_meeting()
    response = search(client, near="xyz")
    html = response.content.decode()
    assert "We couldn&#x27;t find" in html or "We couldn't find" in html
    assert "Try a 5-digit ZIP code" in html
    assert response.context["rows"] == []


def test_too_few_nearby_widens_the_circle_and_says_so(client, places, now):
    for i in range(5):
        make_meeting(name=f"Duluth {i}", location=at(46.78 + i / 1000, -92.1))  # ~130 mi
    for i in range(5):
        make_meeting(name=f"Cambridge {i}", location=at(45.57 + i / 1000, -93.22))  # ~42 mi
    response = search(client, near="55404", radius=10)
    html = response.content.decode()
    assert "5 meetings within 50 mi (none within 10 mi)" in html
    assert all(name.startswith("Cambridge") for name in names(response))


def test_widening_stops_at_100_miles(client, places, now):
    make_meeting(name="Lonely", location=at(45.52, -109.40))
    response = search(client, near="59001", radius=1)
    assert names(response) == ["Lonely"]
    assert response.context["filter"].radius_used == 1 or "100 mi" in response.content.decode()


def _meeting_near(**kw):
    kw.setdefault("location", at(DOWNTOWN[0] + 0.01, DOWNTOWN[1]))
    return make_meeting(**kw)


def test_fellowship_approach_audience_and_focus_filters(client, places, now):
    aa = make_fellowship(slug="aa", name="Alcoholics Anonymous")
    smart = make_fellowship(slug="smart", name="SMART Recovery", philosophy="secular", focus="any")
    alanon = make_fellowship(slug="al-anon", name="Al-Anon", audience="family")
    dra = make_fellowship(slug="dra", name="Dual Recovery Anonymous", focus="dual")
    for fellowship in (aa, smart, alanon, dra):
        _meeting_near(name=fellowship.slug, group=make_group(fellowship=fellowship))
    assert names(search(client, near="55404", fellowship="aa")) == ["aa"]
    assert sorted(names(search(client, near="55404", fellowship=["aa", "dra"]))) == ["aa", "dra"]
    assert names(search(client, near="55404", approach="secular")) == ["smart"]
    assert names(search(client, near="55404", audience="family")) == ["al-anon"]
    assert names(search(client, near="55404", focus="dual")) == ["dra"]


def test_day_and_today_filters(client, places, now):
    _meeting_near(name="Monday", day=1)
    _meeting_near(name="Friday", day=5)
    assert names(search(client, near="55404", day="5")) == ["Friday"]
    assert names(search(client, near="55404", day="today")) == ["Monday"]
    assert sorted(names(search(client, near="55404", day=["today", "5"]))) == ["Friday", "Monday"]


def test_time_of_day_windows_including_night_past_midnight(client, places, now):
    for hour in (7, 13, 19, 23, 1):
        _meeting_near(name=f"{hour:02d}h", start_time=dt.time(hour))
    assert names(search(client, near="55404", time="morning")) == ["07h"]
    assert names(search(client, near="55404", time="afternoon")) == ["13h"]
    assert names(search(client, near="55404", time="evening")) == ["19h"]
    assert sorted(names(search(client, near="55404", time="night"))) == ["01h", "23h"]


def test_in_person_includes_hybrid_but_online_means_joinable_online_only(client, places, now):
    _meeting_near(name="room")
    _meeting_near(name="both", attendance="hybrid", conference_url="https://zoom.us/j/1")
    make_meeting(name="zoom", attendance="online", conference_url="https://zoom.us/j/2")
    assert sorted(names(search(client, near="55404", attendance="in_person"))) == ["both", "room"]
    # Online-only meetings have no place: with a place, they are in the "starting soon" part.
    assert names(search(client, near="55404", attendance="hybrid")) == ["both"]
    assert names(search(client, attendance="online")) == ["zoom"]
    # A hybrid meeting is online too only when hybrid is asked for.
    assert sorted(names(search(client, attendance=["online", "hybrid"]))) == ["both", "zoom"]


def test_open_closed_types_language_and_words(client, places, now, spec_types):
    _meeting_near(name="Open speaker", access="open", types=["SP"])
    _meeting_near(name="Closed women step", access="closed", types=["W", "ST"])
    _meeting_near(name="Grupo Esperanza", types=["S", "ST"])
    assert names(search(client, near="55404", access="closed")) == ["Closed women step"]
    assert names(search(client, near="55404", type=["W", "ST"])) == ["Closed women step"]
    assert sorted(names(search(client, near="55404", type="ST"))) == [
        "Closed women step",
        "Grupo Esperanza",
    ]
    assert names(search(client, near="55404", language="S")) == ["Grupo Esperanza"]
    assert names(search(client, near="55404", q="esperanza")) == ["Grupo Esperanza"]


def test_words_match_group_and_location_names_too(client, places, now):
    _meeting_near(name="Noon", group=make_group(name="Lakeside Group"))
    _meeting_near(name="Night", location=at(44.97, -93.26, name="Alano Club"))
    assert names(search(client, near="55404", q="lakeside")) == ["Noon"]
    assert names(search(client, near="55404", q="alano club")) == ["Night"]


def test_recently_confirmed_filter(client, places, now):
    _meeting_near(name="Fresh", last_confirmed=now - dt.timedelta(days=30))
    _meeting_near(name="Stale", last_confirmed=now - dt.timedelta(days=500))
    _meeting_near(name="Never")
    assert names(search(client, near="55404", confirmed="recent")) == ["Fresh"]


def test_soonest_puts_meetings_in_progress_first_then_by_next_start(client, places, now):
    _meeting_near(name="Began 18:00", day=1, start_time=dt.time(18, 0))  # in progress
    _meeting_near(name="Tonight 20:00", day=1, start_time=dt.time(20, 0))
    _meeting_near(name="Tomorrow 07:00", day=2, start_time=dt.time(7, 0))
    _meeting_near(name="Earlier today", day=1, start_time=dt.time(12, 0))  # next week
    response = search(client, near="55404", sort="soonest")
    assert names(response) == ["Began 18:00", "Tonight 20:00", "Tomorrow 07:00", "Earlier today"]
    html = response.content.decode()
    assert "Happening now" in html
    assert "Today" in html and "Tomorrow" in html


def test_soonest_respects_each_meetings_own_time_zone(client, places, now):
    # 19:00 in New York is 18:00 in Chicago: it is already under way.
    ny = make_location(latitude=44.97, longitude=-93.27, timezone="America/New_York")
    east = _meeting_near(name="Eastern 19:00", start_time=dt.time(19), location=ny)
    west = _meeting_near(name="Central 19:00", start_time=dt.time(19))
    assert list(Meeting.objects.soonest(now)) == [east, west]
    response = search(client, near="55404", sort="soonest")
    assert names(response) == ["Eastern 19:00", "Central 19:00"]
    assert response.content.decode().count("Happening now") == 1


def test_soonest_puts_an_occurrence_over_but_not_moved_on_yet_next_week(client, places, now):
    """refresh_next_starts runs hourly: until it does, a meeting that ended a while ago
    still has its old occurrence stored, and sorts as next week's."""
    over = _meeting_near(name="Ended at 17:00", start_time=dt.time(16), end_time=dt.time(17))
    _meeting_near(name="Tonight 20:00", start_time=dt.time(20))
    _meeting_near(name="Sunday 09:00", day=0, start_time=dt.time(9))
    stale_start = MONDAY_EVENING.replace(hour=16, minute=0).astimezone(dt.UTC)
    Meeting.objects.filter(pk=over.pk).update(
        next_start=stale_start, next_end=stale_start + dt.timedelta(hours=1)
    )
    assert names(search(client, near="55404", sort="soonest")) == [
        "Tonight 20:00",
        "Sunday 09:00",
        "Ended at 17:00",
    ]


def test_without_a_place_it_lists_online_meetings_soonest_in_the_visitors_zone(client, now):
    make_meeting(name="Room only")
    make_meeting(
        name="Zoom 19:00",
        attendance="online",
        conference_url="https://zoom.us/j/1",
        start_time=dt.time(19),
        timezone="America/Chicago",
    )
    make_meeting(
        name="Zoom 19:45 NY",
        attendance="online",
        conference_url="https://zoom.us/j/2",
        start_time=dt.time(19, 45),
        timezone="America/New_York",
    )
    response = search(client, tz="America/Los_Angeles")
    assert names(response) == ["Zoom 19:45 NY", "Zoom 19:00"]
    html = response.content.decode()
    assert "4:45 PM" in html and "PST" in html  # 19:45 Eastern told in Pacific time
    assert "Room only" not in html


def test_online_meetings_starting_soon_follow_a_nearby_list(client, places, now):
    _meeting_near(name="Room")
    make_meeting(
        name="Zoom soon",
        attendance="online",
        conference_url="https://zoom.us/j/1",
        start_time=dt.time(19, 0),
    )
    html = search(client, near="55404").content.decode()
    section = html[html.index("Online meetings that match") :]
    assert "Zoom soon" in section and ">Room<" not in section
    html = search(client, near="55404", attendance="in_person").content.decode()
    assert "Online meetings that match" not in html
    assert "online-soon" not in html  # no empty section, no slot left behind


def test_hidden_meetings_never_show(client, places, now):
    _meeting_near(name="Visible")
    _meeting_near(name="Retired", status="inactive")
    _meeting_near(name="Pending", group=make_group(status="pending"))
    assert names(search(client, near="55404")) == ["Visible"]


def test_results_page_twenty_at_a_time_and_bad_pages_show_a_real_page(client, places, now):
    location = at(DOWNTOWN[0] + 0.01, DOWNTOWN[1])
    group = make_group()
    Meeting.objects.bulk_create(
        Meeting(
            group=group,
            location=location,
            name=f"M{i:02d}",
            slug=f"m-{i}",
            day=i % 7,
            start_time=dt.time(7 + i % 12),
            end_time=dt.time(8 + i % 12),
            timezone="America/Chicago",
        )
        for i in range(45)
    )
    response = search(client, near="55404")
    assert len(response.context["rows"]) == 20
    assert response.context["total"] == 45
    assert "45 meetings" in response.content.decode()
    assert len(search(client, near="55404", page=3).context["rows"]) == 5
    assert len(search(client, near="55404", page=99).context["rows"]) == 5
    assert len(search(client, near="55404", page="abc").context["rows"]) == 20


def test_active_filters_are_removable_chips(client, places, now):
    aa = make_fellowship(slug="aa", name="Alcoholics Anonymous")
    _meeting_near(group=make_group(fellowship=aa))
    response = search(client, near="55404", fellowship="aa", day="1")
    chips = {chip.label: chip.remove_query for chip in response.context["chips"]}
    assert "Fellowship: Alcoholics Anonymous" in chips
    assert "fellowship" not in chips["Fellowship: Alcoholics Anonymous"]
    assert "near=55404" in chips["Fellowship: Alcoholics Anonymous"]
    assert "Clear all" in response.content.decode()


def test_map_view_carries_the_same_meetings_as_json(client, places, now):
    _meeting_near(name="On the map")
    response = search(client, near="55404", view="map")
    html = response.content.decode()
    assert 'id="map-points"' in html and "On the map" in html
    assert "leaflet.js" in html
    assert "leaflet.js" not in search(client, near="55404").content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"day": "9"},
        {"time": "brunch"},
        {"radius": "7"},
        {"radius": "-1"},
        {"attendance": "telepathy"},
        {"fellowship": "nope"},
        {"type": "ZZZ"},
        {"sort": "random"},
        {"access": "<script>"},
        {"confirmed": "yesterday"},
        {"near": "x" * 10_000},
        {"q": "' OR 1=1 --"},
        {"tz": "Not/AZone"},
        {"near": "91,200"},
        {"language": "klingon"},
    ],
)
def test_bad_values_are_form_errors_or_ignored_never_a_server_error(client, places, now, params):
    _meeting_near()
    response = search(client, **params)
    # The results page itself, with its form, not an empty or error body.
    assert response.context["filter"] is not None
    assert 'name="near"' in response.content.decode()


def test_filterset_exposes_the_sort_it_used(places, now):
    data = {"near": "55404"}
    filterset = MeetingFilter(data, queryset=Meeting.objects.public(), now=now)
    assert filterset.is_valid()
    filterset.qs  # noqa: B018 - evaluates the filters
    assert filterset.ordering == "distance"
    filterset = MeetingFilter({}, queryset=Meeting.objects.public(), now=now)
    assert filterset.ordering == "soonest"


def test_the_results_page_has_a_print_stylesheet_and_no_required_script(client, places, now):
    _meeting_near()
    html = search(client, near="55404").content.decode()
    assert re.search(r'href="[^"]*print\.css"[^>]*media="print"', html)


def test_the_any_language_option_is_no_filter(client, places, now, spec_types):
    make_meeting(name="Downtown", location=at(*DOWNTOWN))
    response = search(client, near="55404", language="")
    assert response.context["filter"].form.errors == {}
    assert names(response) == ["Downtown"]


def _spread(n):
    """n meetings on a line north of downtown, at every day and hour (their next starts
    written, as bulk_create does not)."""
    group = make_group()
    locations = [at(DOWNTOWN[0] + i * 0.004, DOWNTOWN[1]) for i in range(n)]
    Meeting.objects.bulk_create(
        Meeting(
            group=group,
            location=loc,
            name=f"M{i:03d}",
            slug=f"spread-{i}",
            day=i % 7,
            start_time=dt.time((i * 5) % 24, (i * 17) % 60),
            end_time=dt.time(23, 59),
            timezone="America/Chicago",
        )
        for i, loc in enumerate(locations)
    )
    Meeting.objects.refresh_next_starts(timezone.now(), every=True)


@pytest.mark.parametrize("cap", [50, 500])
@pytest.mark.parametrize("sort", ["distance", "soonest"])
def test_every_page_is_in_the_full_queries_order(places, now, sort, cap, monkeypatch):
    """Over the cap, pages are read from narrower queries; under it, sorted in Python
    from the rows the count read. Either way, in the database's own order."""
    monkeypatch.setattr("meetings.filters.RESULTS_CAP", cap)
    _spread(120)
    # Some meetings start together, and one occurrence is over and not yet moved on.
    together = Meeting.objects.order_by("pk")[:10].values("pk")
    Meeting.objects.filter(pk__in=together).update(day=1, start_time=dt.time(19))
    Meeting.objects.refresh_next_starts(now, every=True)
    stale = MONDAY_EVENING.replace(hour=12).astimezone(dt.UTC)
    Meeting.objects.filter(pk=Meeting.objects.order_by("pk").last().pk).update(
        day=1, start_time=dt.time(12), next_start=stale, next_end=stale + dt.timedelta(hours=1)
    )
    filterset = MeetingFilter(
        {"near": "55404", "radius": 25, "sort": sort}, queryset=Meeting.objects.public(), now=now
    )
    results = filterset.results
    assert results.narrower, "a narrower query is offered"
    full = list(results.full.values_list("pk", flat=True))
    assert 50 < len(full) < 120  # those within 25 miles
    assert len(results.narrower[0].query()) < len(full)
    assert results.more_than_counted == (cap < len(full))
    with CaptureQueriesContext(connection) as queries:
        assert results[0:20] == full[0:20]
    # Under the cap, no query. Over it, the rows the count read show that the 10-mile
    # circle holds the first page (the nearest 50 meetings include 36 within it): the
    # 2- and 5-mile ones, which read less, are tried first, nothing after it.
    if cap > len(full):
        assert len(queries) == 0
    elif sort == "distance":
        assert len(queries) == 3
    else:  # too few of 50 spread over a week start within 48 hours: each window tried
        assert len(queries) <= len(results.narrower) + 1
    for start in (0, 20, 100):
        assert results[start : start + 20] == full[start : start + 20]


def test_counts_stop_at_the_cap(client, places, now, monkeypatch):
    monkeypatch.setattr("meetings.filters.RESULTS_CAP", 30)
    _spread(45)
    response = search(client, near="55404", radius=25)
    assert response.context["total"] == 30
    assert "More than 30 meetings" in response.content.decode()
    assert len(search(client, near="55404", radius=25, page=2).context["rows"]) == 10


def test_a_card_names_its_attendance_and_access_in_the_pages_language(client, places, now):
    _meeting_near(
        name="Hybrid room",
        attendance="hybrid",
        access="closed",
        conference_url="https://zoom.us/j/9",
    )
    html = search(client, near="55404").content.decode()
    assert "Hybrid · Closed" in html
    spanish = client.get("/es/meetings/", {"near": "55404"}).content.decode()
    assert "Híbrida · Cerrada" in spanish
