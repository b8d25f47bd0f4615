"""A meeting as an iCalendar (.ics) file, for one meeting or many, and as the schema.org
Event that search engines read on its page.

Everything here is a pure function of meetings and a moment; views supply ``now`` and
absolute URLs.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from meetings.models import Meeting
from meetings.schedule import Occurrence, first_occurrence

PRODID = "-//RecoveryMap//Meetings//EN"

# Meeting.day counts from Sunday = 0, as the Meeting Guide spec does.
ICAL_DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
SCHEMA_DAYS = [
    "https://schema.org/Sunday",
    "https://schema.org/Monday",
    "https://schema.org/Tuesday",
    "https://schema.org/Wednesday",
    "https://schema.org/Thursday",
    "https://schema.org/Friday",
    "https://schema.org/Saturday",
]


# iCalendar ------------------------------------------------------------------------------


def _new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _description(meeting: Meeting) -> str:
    lines = [meeting.group.fellowship.local_name]
    if meeting.status == Meeting.Status.TEMPORARILY_CLOSED:
        lines.append(str(Meeting.Status.TEMPORARILY_CLOSED.label))
    if meeting.conference_url:
        join = _("Join online: %(url)s") % {"url": meeting.conference_url}
        lines.append(_with_notes(join, meeting.conference_url_notes))
    if meeting.conference_phone:
        dial = _("Dial in: %(phone)s") % {"phone": meeting.conference_phone}
        lines.append(_with_notes(dial, meeting.conference_phone_notes))
    if meeting.notes:
        lines.append("")
        lines.append(meeting.notes)
    return "\n".join(lines)


def _with_notes(text: str, notes: str) -> str:
    return f"{text} ({notes})" if notes else text


def _location(meeting: Meeting) -> str:
    if meeting.is_in_person and meeting.location_id and meeting.location.has_address:
        return meeting.location.formatted_address
    return meeting.conference_url or meeting.conference_phone


def _event(meeting: Meeting, occurrence: Occurrence, *, url: str, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"{meeting.slug}@recoverymap")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", occurrence.start)
    event.add("dtend", occurrence.end)
    event.add("rrule", {"freq": "weekly", "byday": ICAL_DAYS[meeting.day]})
    event.add("summary", meeting.display_name)
    if location := _location(meeting):
        event.add("location", location)
    event.add("description", _description(meeting))
    event.add("url", url)
    if meeting.status == Meeting.Status.INACTIVE:
        event.add("status", "CANCELLED")
    return event


def _to_ical(cal: Calendar, starts: list[dt.date]) -> bytes:
    # A VTIMEZONE for every TZID used, covering the recurrence from its first date on.
    if starts:
        cal.add_missing_timezones(first_date=min(starts) - dt.timedelta(days=1))
    return cal.to_ical()


def meeting_calendar(meeting: Meeting, *, url: str, now: dt.datetime | None = None) -> bytes:
    """An .ics file with the meeting as one weekly recurring event; ``url`` is the absolute
    address of its page."""
    now = now or timezone.now()
    cal = _new_calendar(meeting.display_name)
    occurrence = first_occurrence(meeting, now)
    cal.add_component(_event(meeting, occurrence, url=url, now=now))
    return _to_ical(cal, [occurrence.start.date()])


def calendar_for(
    meetings: Iterable[Meeting],
    *,
    name: str,
    url_for: Callable[[Meeting], str],
    now: dt.datetime | None = None,
) -> bytes:
    """One .ics calendar named ``name`` with a weekly event per meeting (for subscribing
    to a search); ``url_for(meeting)`` gives each meeting's absolute page address."""
    now = now or timezone.now()
    cal = _new_calendar(name)
    starts = []
    for meeting in meetings:
        occurrence = first_occurrence(meeting, now)
        cal.add_component(_event(meeting, occurrence, url=url_for(meeting), now=now))
        starts.append(occurrence.start.date())
    return _to_ical(cal, starts)


# schema.org -----------------------------------------------------------------------------


def _attendance_mode(meeting: Meeting) -> str:
    return {
        Meeting.Attendance.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
        Meeting.Attendance.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
        Meeting.Attendance.HYBRID: "https://schema.org/MixedEventAttendanceMode",
    }[meeting.attendance]


def _event_status(meeting: Meeting) -> str:
    if meeting.status == Meeting.Status.INACTIVE:
        return "https://schema.org/EventCancelled"
    if meeting.status == Meeting.Status.TEMPORARILY_CLOSED and meeting.is_online:
        return "https://schema.org/EventMovedOnline"
    return "https://schema.org/EventScheduled"


def _schema_location(meeting: Meeting, url: str) -> list[dict]:
    places = []
    if meeting.is_in_person and meeting.location_id and meeting.location.has_address:
        loc = meeting.location
        place = {
            "@type": "Place",
            "name": loc.name or loc.formatted_address,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": loc.address,
                "addressLocality": loc.city,
                "addressRegion": loc.state,
                "postalCode": loc.postal_code,
                "addressCountry": loc.country,
            },
        }
        if loc.has_point:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": loc.latitude,
                "longitude": loc.longitude,
            }
        places.append(place)
    if meeting.is_online:
        places.append({"@type": "VirtualLocation", "url": meeting.conference_url or url})
    return places


def meeting_event_data(
    meeting: Meeting, *, url: str, group_url: str, now: dt.datetime
) -> dict[str, object]:
    """The meeting as a schema.org Event with a weekly ``eventSchedule``, for JSON-LD."""
    occurrence = first_occurrence(meeting, now)
    places = _schema_location(meeting, url)
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": meeting.display_name,
        "url": url,
        "description": meeting.notes or meeting.group.fellowship.local_description,
        "startDate": occurrence.start.isoformat(),
        "endDate": occurrence.end.isoformat(),
        "eventSchedule": {
            "@type": "Schedule",
            "repeatFrequency": "P1W",
            "byDay": SCHEMA_DAYS[meeting.day],
            "startTime": occurrence.start.strftime("%H:%M"),
            "endTime": occurrence.end.strftime("%H:%M"),
            "scheduleTimezone": meeting.timezone,
        },
        "eventAttendanceMode": _attendance_mode(meeting),
        "eventStatus": _event_status(meeting),
        "isAccessibleForFree": True,
        "location": places[0] if len(places) == 1 else places,
        "organizer": {"@type": "Organization", "name": meeting.group.name, "url": group_url},
    }
