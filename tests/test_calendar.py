"""Calendar files: a meeting's weekly event (and many meetings' events) that calendar
apps can read back, in the meeting's own time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from directory.models import Group
from meetings.calendar import calendar_for, meeting_calendar
from meetings.schedule import current_or_next_occurrence, first_occurrence
from tests.conftest import make_group, make_meeting

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Monday 1 June 2026, 10:00 in Chicago.
MONDAY_MORNING = dt.datetime(2026, 6, 1, 10, 0, tzinfo=CHICAGO)


def _events(ics: bytes) -> list:
    return Calendar.from_ical(ics).walk("VEVENT")


def test_a_meeting_is_one_weekly_event_in_its_own_time_zone():
    meeting = make_meeting(name="Big Book Study", day=3, start_time=dt.time(19, 0))
    ics = meeting_calendar(meeting, url="https://example.org/meetings/x/", now=MONDAY_MORNING)

    cal = Calendar.from_ical(ics)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Big Book Study"
    (event,) = _events(ics)
    assert str(event["UID"]) == f"{meeting.slug}@recoverymap"
    assert str(event["SUMMARY"]) == "Big Book Study"
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event.decoded("DTSTART") == dt.datetime(2026, 6, 3, 19, 0, tzinfo=CHICAGO)
    assert event.decoded("DTEND") == dt.datetime(2026, 6, 3, 20, 0, tzinfo=CHICAGO)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["BYDAY"] == ["WE"]
    assert str(event["LOCATION"]) == "519 Oak Grove St, Minneapolis, MN 55403, USA"
    assert str(event["URL"]) == "https://example.org/meetings/x/"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]


def test_a_meeting_ending_after_midnight_ends_the_next_day():
    meeting = make_meeting(day=6, start_time=dt.time(23, 0), end_time=dt.time(0, 30))
    (event,) = _events(meeting_calendar(meeting, url="https://example.org/", now=MONDAY_MORNING))
    assert event.decoded("DTSTART") == dt.datetime(2026, 6, 6, 23, 0, tzinfo=CHICAGO)
    assert event.decoded("DTEND") == dt.datetime(2026, 6, 7, 0, 30, tzinfo=CHICAGO)


def test_an_online_meeting_is_located_at_its_join_link_and_describes_how_to_join():
    meeting = make_meeting(
        attendance="online",
        timezone="America/New_York",
        conference_url="https://zoom.us/j/123",
        conference_url_notes="Passcode 42",
        conference_phone="+16465588656,,123#",
        notes="Cameras optional.",
    )
    (event,) = _events(meeting_calendar(meeting, url="https://example.org/", now=MONDAY_MORNING))
    assert str(event["LOCATION"]) == "https://zoom.us/j/123"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    description = str(event["DESCRIPTION"])
    assert meeting.group.fellowship.name in description
    assert "https://zoom.us/j/123 (Passcode 42)" in description
    assert "+16465588656,,123#" in description
    assert "Cameras optional." in description


def test_the_recurrence_starts_today_when_the_meeting_is_today_even_if_it_is_over():
    meeting = make_meeting(day=1, start_time=dt.time(7, 0))  # Monday 7:00, already over
    assert first_occurrence(meeting, MONDAY_MORNING).start.date() == dt.date(2026, 6, 1)


def test_next_occurrence_skips_a_meeting_already_over_today():
    meeting = make_meeting(day=1, start_time=dt.time(7, 0))
    occurrence = current_or_next_occurrence(meeting, MONDAY_MORNING)
    assert occurrence.start == dt.datetime(2026, 6, 8, 7, 0, tzinfo=CHICAGO)
    assert not occurrence.is_happening(MONDAY_MORNING)


def test_last_nights_meeting_past_midnight_is_still_happening():
    meeting = make_meeting(day=0, start_time=dt.time(23, 0), end_time=dt.time(1, 0))
    half_past_midnight = dt.datetime(2026, 6, 1, 0, 30, tzinfo=CHICAGO)
    occurrence = current_or_next_occurrence(meeting, half_past_midnight)
    assert occurrence.start == dt.datetime(2026, 5, 31, 23, 0, tzinfo=CHICAGO)
    assert occurrence.is_happening(half_past_midnight)


def test_calendar_for_gives_one_event_per_meeting_in_one_calendar():
    meetings = [
        make_meeting(day=1),
        make_meeting(day=2, attendance="online", conference_url="https://meet.example/a"),
        make_meeting(day=3, location=None, attendance="online", conference_phone="+15551234567"),
    ]
    ics = calendar_for(
        meetings,
        name="Meetings near 55404",
        url_for=lambda m: f"https://example.org/meetings/{m.slug}/",
        now=MONDAY_MORNING,
    )
    cal = Calendar.from_ical(ics)
    assert str(cal["X-WR-CALNAME"]) == "Meetings near 55404"
    events = cal.walk("VEVENT")
    assert len(events) == 3
    assert {str(e["UID"]) for e in events} == {f"{m.slug}@recoverymap" for m in meetings}
    assert str(events[2]["LOCATION"]) == "+15551234567"
    assert len(cal.walk("VTIMEZONE")) == 1


def test_the_calendar_file_downloads_with_an_absolute_link_back(client):
    meeting = make_meeting()
    response = client.get(reverse("meetings:meeting-ics", args=[meeting.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{meeting.slug}.ics"'
    (event,) = _events(response.content)
    assert str(event["URL"]) == f"http://testserver/meetings/{meeting.slug}/"
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert Calendar.from_ical(response.content).walk("VTIMEZONE")


def test_the_calendar_file_of_a_pending_groups_meeting_is_not_found(client):
    meeting = make_meeting(group=make_group(status=Group.Status.PENDING))
    response = client.get(reverse("meetings:meeting-ics", args=[meeting.slug]))
    assert response.status_code == 404
