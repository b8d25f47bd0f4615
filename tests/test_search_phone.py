"""Search on a phone: cards that answer the question, "in progress" and "in the next hour"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from directory.models import Fellowship
from meetings import filters
from meetings.models import Meeting
from tests.conftest import make_fellowship, make_group, make_location, make_meeting, make_place

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2026-11-23, 18:30 in Minneapolis.
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 30, tzinfo=CHICAGO)


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_EVENING.astimezone(dt.UTC))
    return MONDAY_EVENING


def search(client, **params):
    response = client.get(reverse("meetings:meeting-list"), params)
    assert response.status_code == 200
    return response


def names(response):
    return sorted(row.meeting.display_name for row in response.context["rows"])


def test_a_card_always_shows_its_language_and_the_types_searched_for(client, now, spec_types):
    make_place()
    make_meeting(name="Grupo", types=["W", "M", "Y", "LGBTQ", "X", "D", "S"])
    card = search(client, near="55404").context["rows"][0]
    assert "Spanish" in card.key_types
    card = search(client, near="55404", type="D").context["rows"][0]
    assert {"Spanish", "Discussion"} <= set(card.key_types)


def test_cards_tell_al_anon_from_nar_anon_in_plain_words(client, now):
    make_place()
    family = {"audience": Fellowship.Audience.FAMILY}
    al_anon = make_fellowship(name="Al-Anon", focus=Fellowship.Focus.ALCOHOL, **family)
    nar_anon = make_fellowship(name="Nar-Anon", focus=Fellowship.Focus.DRUGS, **family)
    make_meeting(name="Hope", group=make_group(fellowship=al_anon))
    make_meeting(name="Courage", group=make_group(fellowship=nar_anon))
    html = search(client, near="55404").content.decode()
    assert "For family and friends of someone who drinks</p>" in html
    assert "For family and friends of someone who uses drugs</p>" in html


def _online(name, day, start, end=None, zone="America/Chicago"):
    return make_meeting(
        name=name,
        attendance="online",
        conference_url="https://zoom.us/j/1",
        day=day,
        start_time=start,
        end_time=end,
        timezone=zone,
    )


def test_in_progress_and_in_the_next_hour_on_each_meetings_own_clock(client, now):
    _online("begun", 1, dt.time(18), dt.time(19))
    _online("ended", 1, dt.time(17), dt.time(18, 15))
    _online("at seven", 1, dt.time(19))
    _online("at eight", 1, dt.time(20))
    # 19:30 in New York is 18:30 in Chicago: under way; 20:00 there starts in 30 minutes.
    _online("east begun", 1, dt.time(19, 15), zone="America/New_York")
    _online("east soon", 1, dt.time(20), zone="America/New_York")
    _online("late Sunday", 0, dt.time(23), dt.time(0, 30))  # a day earlier, long over
    assert names(search(client, time="now")) == ["begun", "east begun"]
    assert names(search(client, time="next_hour")) == ["at seven", "east soon"]
    assert names(search(client, time=["now", "next_hour"])) == [
        "at seven",
        "begun",
        "east begun",
        "east soon",
    ]


def test_a_meeting_past_midnight_is_in_progress_after_midnight(client, monkeypatch):
    tuesday_early = dt.datetime(2026, 11, 24, 0, 15, tzinfo=CHICAGO)
    monkeypatch.setattr(timezone, "now", lambda: tuesday_early.astimezone(dt.UTC))
    _online("night owls", 1, dt.time(23, 30), dt.time(0, 45))
    _online("done", 1, dt.time(22), dt.time(23))
    assert names(search(client, time="now")) == ["night owls"]


@pytest.mark.parametrize(
    "moment, inside, outside",
    [
        # Spring forward: 01:30 CST + 60 min is 03:30 CDT; 02:xx never happens.
        (dt.datetime(2027, 3, 14, 1, 30), [dt.time(1, 45), dt.time(3, 15)], [dt.time(3, 45)]),
        # Fall back: 01:30 CDT + 60 min is 01:30 CST. A meeting in the repeated hour meets
        # the second time round (meetings/next_start.py): 01:10 CST is 40 min away, 01:50
        # CST 80 min.
        (dt.datetime(2026, 11, 1, 1, 30), [dt.time(1, 10)], [dt.time(1, 50), dt.time(2, 10)]),
    ],
)
def test_in_the_next_hour_is_a_real_hour_across_a_change_of_clocks(moment, inside, outside):
    local = moment.replace(tzinfo=CHICAGO, fold=0)
    day = (local.weekday() + 1) % 7
    for start in inside + outside:
        _online(f"{start:%H:%M}", day, start)
    Meeting.objects.refresh_next_starts(local - dt.timedelta(days=1), every=True)
    found = Meeting.objects.starting_in_next(local, 60)
    assert sorted(m.name for m in found) == sorted(f"{t:%H:%M}" for t in inside)


def test_a_page_of_meetings_in_progress_is_kept_only_to_the_next_minute(client, now, settings):
    settings.LISTINGS_CACHE_SECONDS = 3600
    _online("begun", 1, dt.time(18), dt.time(19))
    _online("at 18:31", 1, dt.time(18, 31))
    assert names(search(client, time="now")) == ["begun"]
    later = MONDAY_EVENING + dt.timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later.astimezone(dt.UTC))
        html = search(client, time="now").content.decode()
    assert "at 18:31" in html


def make_location_far():
    return make_location(city="Duluth", latitude=46.78, longitude=-92.1)


def _secular():
    return make_group(fellowship=make_fellowship(philosophy=Fellowship.Philosophy.SECULAR))


def test_a_place_search_shows_the_matching_online_meetings_with_their_count(client, now):
    make_place()
    make_meeting(name="Room AA tonight", day=1, start_time=dt.time(20))
    for hour in (19, 20, 21):
        make_meeting(
            name=f"Secular online {hour}",
            group=_secular(),
            attendance="online",
            conference_url="https://zoom.us/j/1",
            day=1,
            start_time=dt.time(hour),
        )
    make_meeting(
        name="Secular hybrid",
        group=_secular(),
        attendance="hybrid",
        conference_url="https://zoom.us/j/2",
        location=make_location_far(),
    )
    html = search(client, near="55404", approach="secular", day="today").content.decode()
    assert "Showing the nearest" not in html and "showing the nearest" not in html
    assert "No meetings within 100 mi of 55404 (Minneapolis, MN) match this search." in html
    assert '<a href="#online">Also 3 online meetings that match</a>' in html
    section = html[html.index('id="online"') :]
    assert "Secular online 19" in section and "Secular hybrid" not in section
    assert "Room AA tonight" not in html
    # The way on from the empty list: the same search less one filter, with its count.
    assert "Without “Approach: Secular”: 1 meeting" in html
    assert "?near=55404&amp;day=today" in html


def test_with_many_online_meetings_ahead_the_online_count_says_which_hours_it_covers(
    client, now, monkeypatch
):
    """Counting a rare filter among every online meeting in the country would read them
    all: the count looks through the soonest few thousand (here four) and says so."""
    monkeypatch.setattr(filters, "ONLINE_SOON_EXAMINED", 4)
    make_place()
    online = {"attendance": "online", "conference_url": "https://zoom.us/j/1"}
    for name, day, start, group in [
        ("Secular at 7", 1, dt.time(19), _secular()),
        ("Other at 7:30", 1, dt.time(19, 30), make_group()),
        ("Secular at 8", 1, dt.time(20), _secular()),
        ("Other at 9", 1, dt.time(21), make_group()),  # the fourth: 2½ hours ahead
        ("Secular tomorrow", 2, dt.time(12), _secular()),
    ]:
        make_meeting(name=name, day=day, start_time=start, group=group, types=["W"], **online)
    html = search(client, near="55404", approach="secular").content.decode()
    assert '<a href="#online">Also 2 online meetings that match in the next 2 hours</a>' in html
    section = html[html.index('id="online"') :]
    assert "2 meetings in the next 2 hours, soonest first, in your time." in section
    assert "Secular at 7" in section and "Secular at 8" in section
    assert "Secular tomorrow" not in section and "Other at" not in section

    # None of them within those hours: no "Also 0", but the section still offers the way
    # to every online meeting that matches.
    Meeting.objects.filter(name__startswith="Secular at").update(status="inactive")
    cache.clear()  # the section is kept for a minute
    html = search(client, near="55404", approach="secular").content.decode()
    assert 'href="#online"' not in html
    section = html[html.index('id="online"') :]
    assert "None that matches starts in the next 2 hours." in section
    assert "See all the online meetings that match" in section


def test_the_online_count_stops_where_more_would_tell_a_person_nothing(client, now, monkeypatch):
    """Past ONLINE_COUNTED (100; here 3) the count says "more than", and reads no more."""
    monkeypatch.setattr(filters, "ONLINE_COUNTED", 3)
    make_place()
    for hour in range(17, 22):
        make_meeting(
            name=f"Zoom {hour}",
            day=1,
            start_time=dt.time(hour),
            attendance="online",
            conference_url=f"https://zoom.us/j/{hour}",
        )
    html = search(client, near="55404").content.decode()
    assert '<a href="#online">Also more than 3 online meetings that match</a>' in html
    section = html[html.index('id="online"') :]
    assert "More than 3, soonest first, in your time." in section
    assert section.index("Zoom 19") < section.index("Zoom 20") < section.index("Zoom 21")


def test_an_empty_search_with_nothing_to_drop_says_what_was_searched(client, now):
    make_place()
    html = search(client, near="55404").content.decode()
    assert "No meetings within 100 mi of 55404 (Minneapolis, MN) match this search." in html
    assert "0 meetings" not in html and "online-soon" not in html and 'href="#online"' not in html


def test_the_online_count_and_section_are_served_with_a_kept_page(client, now, settings):
    settings.LISTINGS_CACHE_SECONDS = 3600
    make_place()
    make_meeting(name="Room", day=1, start_time=dt.time(20))
    _online("Zoom", 1, dt.time(19))
    first = search(client, near="55404").content.decode()
    again = search(client, near="55404").content.decode()
    assert again == first
    assert "Also 1 online meeting that matches" in again and "<!-- online" not in again
