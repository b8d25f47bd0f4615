"""A meeting's page tells a visitor when, where, how to get there or join, and what to
expect; retired meetings point to alternatives, unapproved groups' meetings stay hidden."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import Group
from tests.conftest import make_fellowship, make_group, make_location, make_meeting

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def _page(client, meeting, **params):
    response = client.get(reverse("meetings:meeting-detail", args=[meeting.slug]), params)
    assert response.status_code == 200
    return response.content.decode()


def _json_ld(page: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def _at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_an_in_person_meeting_page_shows_where_and_how_to_get_there(client, spec_types):
    location = make_location(directions="Side door, basement.", accessibility_notes="Ramp.")
    meeting = make_meeting(location=location, types=["O", "D", "W", "X"], access="open")
    page = _page(client, meeting)

    assert meeting.display_name in page
    assert "519 Oak Grove St, Minneapolis, MN 55403, USA" in page
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=44.9695,-93.2836" in page
    assert "https://maps.apple.com/?daddr=44.9695,-93.2836" in page
    assert 'href="geo:44.9695,-93.2836"' in page
    assert "Side door, basement." in page
    assert "Ramp." in page
    assert reverse("meetings:meeting-ics", args=[meeting.slug]) in page
    assert meeting.group.get_absolute_url() in page


def test_types_are_words_and_open_closed_is_not_one_of_them(client, spec_types):
    meeting = make_meeting(types=["O", "D", "W", "X"], access="open")
    page = _page(client, meeting)
    tags = re.search(r'<ul class="tags">(.*?)</ul>', page, re.S).group(1)
    assert "Discussion" in tags and "Women" in tags and "Wheelchair Access" in tags
    assert "Open" not in tags


def test_what_to_expect_uses_the_fellowships_words_for_open_and_closed(client):
    fellowship = make_fellowship(
        description="Members share their experience, strength and hope.",
        open_meetings="Open AA meetings welcome anyone interested.",
        closed_meetings="Closed AA meetings are for those with a desire to stop drinking.",
    )
    open_meeting = make_meeting(group=make_group(fellowship=fellowship), access="open")
    closed_meeting = make_meeting(group=make_group(fellowship=fellowship), access="closed")

    page = _page(client, open_meeting)
    assert "Members share their experience, strength and hope." in page
    assert "Open AA meetings welcome anyone interested." in page
    assert "Closed AA meetings" not in page
    assert "Closed AA meetings are for those with a desire to stop drinking." in _page(
        client, closed_meeting
    )


def test_open_closed_falls_back_to_plain_words_and_says_when_not_stated(client):
    family = make_fellowship(audience="family")
    closed = make_meeting(group=make_group(fellowship=family), access="closed")
    unstated = make_meeting(access="")
    assert "only for family members and friends" in _page(client, closed)
    assert "does not say whether the meeting is open or closed" in _page(client, unstated)


def test_an_online_meeting_has_a_join_button_and_one_tap_dial_in(client):
    meeting = make_meeting(
        attendance="hybrid",
        conference_url="https://zoom.us/j/123456789",
        conference_url_notes="Passcode: serenity",
        conference_phone="+1 646 558 8656,,123456789#",
        conference_phone_notes="Press # when asked.",
    )
    page = _page(client, meeting)
    assert '<a class="button join" href="https://zoom.us/j/123456789" rel="noopener">' in page
    assert "Passcode: serenity" in page
    assert 'href="tel:+16465588656,,123456789%23"' in page
    assert "Press # when asked." in page
    assert "Google Maps" in page  # hybrid: also in person


def test_an_online_only_meeting_has_no_directions(client):
    meeting = make_meeting(attendance="online", conference_url="https://meet.example/x")
    page = _page(client, meeting)
    assert "Join online" in page
    assert "Google Maps" not in page


def test_the_time_is_shown_in_the_meetings_zone_with_its_abbreviation(client, monkeypatch):
    _at(monkeypatch, dt.datetime(2026, 6, 1, 10, 0, tzinfo=CHICAGO))  # a Monday
    meeting = make_meeting(day=3, start_time=dt.time(19, 0), end_time=dt.time(20, 30))
    page = _page(client, meeting)
    assert "<strong>Wednesday 3 Jun</strong> · 7:00 PM – 8:30 PM" in page
    assert "CDT" in page
    assert "The meeting's own time" not in page


def test_today_tomorrow_and_happening_now(client, monkeypatch):
    _at(monkeypatch, dt.datetime(2026, 6, 1, 19, 30, tzinfo=CHICAGO))  # Monday evening
    now_on = make_meeting(day=1, start_time=dt.time(19, 0))
    later = make_meeting(day=1, start_time=dt.time(21, 0))
    tomorrow = make_meeting(day=2, start_time=dt.time(7, 0))

    page = _page(client, now_on)
    assert "Happening now" in page
    assert "<strong>Today</strong> · <strong>Monday 1 Jun</strong>" in page
    page = _page(client, later)
    assert "Happening now" not in page and "<strong>Today</strong>" in page
    assert "<strong>Tomorrow</strong> · <strong>Tuesday 2 Jun</strong>" in _page(client, tomorrow)


def test_the_visitors_time_comes_first_and_the_meetings_own_after(client, monkeypatch):
    _at(monkeypatch, dt.datetime(2026, 6, 1, 10, 0, tzinfo=CHICAGO))
    meeting = make_meeting(day=3, start_time=dt.time(19, 0))
    page = _page(client, meeting, tz="America/Los_Angeles")
    visitors = page.index("<strong>Wednesday 3 Jun</strong> · 5:00 PM – 6:00 PM")
    own = page.index("The meeting's own time:")
    assert visitors < own < page.index("7:00 PM – 8:00 PM")
    assert "PDT" in page and "(your time)" in page


def test_a_late_meeting_is_on_the_visitors_next_date(client, monkeypatch):
    _at(monkeypatch, dt.datetime(2026, 6, 1, 10, 0, tzinfo=CHICAGO))  # Monday
    meeting = make_meeting(day=1, start_time=dt.time(23, 30), end_time=dt.time(23, 59))
    page = _page(client, meeting, tz="Europe/London")
    assert "<strong>Tomorrow</strong> · <strong>Tuesday 2 Jun</strong> · 5:30 AM" in page


@pytest.mark.parametrize("tz", ["Mars/Olympus", "<script>", "", "America/Chicago"])
def test_a_bad_or_same_visitor_time_zone_is_ignored(client, tz):
    meeting = make_meeting()
    page = _page(client, meeting, tz=tz)
    assert "(your time)" not in page and "The meeting's own time" not in page


def test_temporarily_closed_meetings_say_so(client):
    meeting = make_meeting(
        status="tc", attendance="hybrid", conference_url="https://meet.example/x"
    )
    assert "Temporarily not meeting in person" in _page(client, meeting)


@pytest.mark.parametrize(
    ("days_ago", "wording"),
    [
        (3, "Confirmed by the organizer 3 days ago"),
        (1, "Confirmed by the organizer 1 day ago"),
        (400, "Not confirmed in over a year"),
        (None, "Not yet confirmed"),
    ],
)
def test_it_says_when_the_listing_was_last_confirmed(client, days_ago, wording):
    confirmed = None if days_ago is None else timezone.now() - dt.timedelta(days=days_ago, hours=1)
    meeting = make_meeting(last_confirmed=confirmed)
    assert wording in _page(client, meeting)


def test_it_lists_the_groups_other_meetings_and_others_at_the_same_place(client):
    location = make_location()
    group = make_group()
    meeting = make_meeting(group=group, location=location, name="Monday Night", day=1)
    sibling = make_meeting(group=group, location=location, name="Thursday Step Study", day=4)
    retired = make_meeting(group=group, name="Old Saturday", day=6, status="inactive")
    neighbour = make_meeting(location=location, name="Neighbours Meeting", day=2)
    elsewhere = make_meeting(name="Across Town", day=2)

    page = _page(client, meeting)
    assert sibling.get_absolute_url() in page
    assert neighbour.get_absolute_url() in page
    assert retired.get_absolute_url() not in page
    assert elsewhere.get_absolute_url() not in page


def test_an_inactive_meeting_says_so_and_links_nearby_alternatives(client):
    location = make_location()
    meeting = make_meeting(location=location, status="inactive", name="Gone Group")
    nearby = make_meeting(location=make_location(latitude=44.98, longitude=-93.27))
    far = make_meeting(location=make_location(latitude=46.78, longitude=-92.10))  # Duluth
    also_gone = make_meeting(location=location, status="inactive")

    page = _page(client, meeting)
    assert "This meeting is no longer listed as active" in page
    alternatives = page[page.index('id="alternatives"') :]
    assert nearby.get_absolute_url() in alternatives
    assert far.get_absolute_url() not in alternatives
    assert also_gone.get_absolute_url() not in alternatives
    assert "?near=55403" in alternatives


def test_an_inactive_online_meeting_suggests_other_online_meetings(client):
    meeting = make_meeting(
        attendance="online", conference_url="https://meet.example/old", status="inactive"
    )
    online = make_meeting(attendance="online", conference_url="https://meet.example/new")
    in_person = make_meeting()

    page = _page(client, meeting)
    assert "This meeting is no longer listed as active" in page
    assert online.get_absolute_url() in page
    assert in_person.get_absolute_url() not in page
    assert "https://meet.example/old" not in page.split("</head>")[1]  # no join button


@pytest.mark.parametrize("status", [Group.Status.PENDING, Group.Status.INACTIVE])
def test_meetings_of_unapproved_or_retired_groups_are_not_found(client, status):
    meeting = make_meeting(group=make_group(status=status))
    response = client.get(reverse("meetings:meeting-detail", args=[meeting.slug]))
    assert response.status_code == 404


def test_an_unknown_meeting_is_not_found(client):
    response = client.get(reverse("meetings:meeting-detail", args=["no-such-meeting-mon"]))
    assert response.status_code == 404


def test_the_page_describes_the_meeting_as_a_schema_org_event(client):
    meeting = make_meeting(
        day=2,
        start_time=dt.time(18, 30),
        attendance="hybrid",
        conference_url="https://zoom.us/j/1",
    )
    data = _json_ld(_page(client, meeting))
    assert data["@type"] == "Event"
    assert data["url"] == f"http://testserver/meetings/{meeting.slug}/"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    schedule = data["eventSchedule"]
    assert schedule["byDay"] == "https://schema.org/Tuesday"
    assert schedule["startTime"] == "18:30"
    assert schedule["endTime"] == "19:30"
    assert schedule["scheduleTimezone"] == "America/Chicago"
    place, virtual = data["location"]
    assert place["address"]["@type"] == "PostalAddress"
    assert place["address"]["postalCode"] == "55403"
    assert virtual == {"@type": "VirtualLocation", "url": "https://zoom.us/j/1"}


def test_names_and_notes_are_escaped_on_the_page_and_in_json_ld(client):
    attack = '<script>alert("x")</script>'
    meeting = make_meeting(name=f"Evil {attack}", notes=f"Line one\n{attack}")
    page = _page(client, meeting)
    assert attack not in page
    assert "Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    data = _json_ld(page)
    assert data["name"] == f"Evil {attack}"
    assert data["description"] == f"Line one\n{attack}"


def test_the_page_links_to_its_calendar_file(client):
    meeting = make_meeting()
    page = _page(client, meeting)
    assert f'href="/meetings/{meeting.slug}.ics"' in page


def test_javascript_may_offer_the_visitors_time_zone_but_the_page_works_without(client):
    meeting = make_meeting()
    page = _page(client, meeting)
    assert re.search(
        r'<form class="tz-form" method="get" hidden data-meeting-tz="America/Chicago"', page
    )
    assert "js/site.js" in page
