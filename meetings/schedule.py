"""When a weekly meeting happens: its occurrences as dates, told in words a person reads
at a glance. Search results, the meeting page and calendar files all use these."""

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from meetings.models import default_end_time


@dataclass(frozen=True)
class Occurrence:
    """One week's meeting, as aware datetimes in the meeting's own time zone."""

    start: dt.datetime
    end: dt.datetime

    def is_happening(self, now: dt.datetime) -> bool:
        return self.start <= now < self.end

    def told_in(self, zone: str | None) -> "Occurrence":
        """The same occurrence on another zone's clock (a visitor's)."""
        if not zone:
            return self
        tz = ZoneInfo(zone)
        return Occurrence(self.start.astimezone(tz), self.end.astimezone(tz))

    def relative_day(self, now: dt.datetime) -> str:
        """ "Today" or "Tomorrow" on this occurrence's clock, else empty."""
        today = now.astimezone(self.start.tzinfo).date()
        if self.start.date() == today:
            return _("Today")
        if self.start.date() == today + dt.timedelta(days=1):
            return _("Tomorrow")
        return ""

    def day_word(self, now: dt.datetime) -> str:
        """ "Today", "Tomorrow", or the weekday's name."""
        return self.relative_day(now) or _weekday_name(self.start.weekday(), get_language())

    @property
    def ends_next_day(self) -> bool:
        """Whether it ends after midnight (23:00-00:30): told, never read as the same day."""
        return self.end.date() > self.start.date()

    @property
    def time_range(self) -> str:
        """ "7:00 PM – 8:30 PM", or "11:00 PM – 12:30 AM (next day)" past midnight."""
        times = {"start": clock(self.start), "end": clock(self.end)}
        if self.ends_next_day:
            return _("%(start)s – %(end)s (next day)") % times
        return _("%(start)s – %(end)s") % times

    @property
    def zone_abbreviation(self) -> str:
        return self.start.tzname() or ""


def clock(moment: dt.datetime | dt.time) -> str:
    """ "7:30 PM", or "7:30 p. m." in Spanish (TIME_FORMAT, recoverymap.formats)."""
    return _clock(moment.hour, moment.minute, get_language())


# A results page tells some 50 times and 25 weekdays; formatting each anew cost more
# than building the rest of its cards. They depend on the language alone.
@functools.lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, language: str | None) -> str:
    return formats.time_format(dt.time(hour, minute))


@functools.lru_cache(maxsize=64)
def _weekday_name(weekday: int, language: str | None) -> str:
    """The name of ``weekday`` (Monday = 0), capitalized."""
    return capfirst(formats.date_format(dt.date(2024, 1, 1 + weekday), "l"))


def spec_day(moment: dt.datetime | dt.date) -> int:
    """Sunday = 0, as the Meeting Guide spec counts (Python's weekday() starts Monday)."""
    return (moment.weekday() + 1) % 7


def occurrence_on(meeting, date: dt.date) -> Occurrence:
    """The meeting starting on ``date`` (local); an end at or before the start is the next
    day's, for meetings that pass midnight."""
    zone = ZoneInfo(meeting.timezone)
    end_time = meeting.end_time or default_end_time(meeting.start_time)
    start = dt.datetime.combine(date, meeting.start_time, tzinfo=zone)
    end = dt.datetime.combine(date, end_time, tzinfo=zone)
    if end <= start:
        end = dt.datetime.combine(date + dt.timedelta(days=1), end_time, tzinfo=zone)
    return Occurrence(start, end)


def first_occurrence(meeting, now: dt.datetime) -> Occurrence:
    """The occurrence on the meeting's weekday on or after today in its own zone, even if
    today's has already ended: a calendar's recurrence starts there."""
    today = now.astimezone(ZoneInfo(meeting.timezone)).date()
    return occurrence_on(meeting, today + dt.timedelta(days=(meeting.day - spec_day(today)) % 7))


def current_or_next_occurrence(meeting, now: dt.datetime) -> Occurrence:
    """The occurrence in progress at ``now``, or else the next one to start."""
    first = first_occurrence(meeting, now)
    week = dt.timedelta(days=7)
    # Last week's may still be running when it passes midnight (Sunday 23:00-01:00 seen
    # on Monday at 00:30); this week's may be over already.
    for date in (first.start.date() - week, first.start.date(), first.start.date() + week):
        occurrence = occurrence_on(meeting, date)
        if occurrence.end > now:
            return occurrence
    raise AssertionError("a weekly meeting always has a next occurrence")  # pragma: no cover
