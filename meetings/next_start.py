"""Each meeting's next start as an instant: what makes "starting soon", "in progress" and
"in the next hour" one indexed range of ``Meeting.next_start`` instead of a term per
time zone and clock.

A meeting stores the start and end (UTC) of its *current* occurrence: the first one,
counting weekly on its own clock, that has not ended yet or began less than ``LINGER``
ago (search still shows a meeting begun under an hour ago as "happening now"). Each
occurrence is placed with ``zoneinfo`` on its own date, so the instants are right on
either side of a daylight-saving change, in either hemisphere: the clock time stays, the
UTC instant moves. A start in the hour a spring-forward skips happens an hour later on
the wall clock; one in the hour a fall-back repeats, the second time round.

Saving a meeting computes it; ``MeetingQuerySet.refresh_next_starts()`` (the
``refresh_next_starts`` command, run hourly) moves the meetings whose occurrence is over
on by a week. Queries stay exact while the refresh is less than five days late: the
occurrence a query looks for is then always the stored one (see the tests).

This module is pure (no models), so ``meetings.models`` and the importers can share it.
"""

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LINGER = dt.timedelta(minutes=60)
_DAY = dt.timedelta(days=1)
_WEEK = dt.timedelta(days=7)


def spec_weekday(date: dt.date) -> int:
    """The Meeting Guide's day number: 0 for Sunday (Python counts from Monday)."""
    return (date.weekday() + 1) % 7


def local_occurrence(
    zone: ZoneInfo, date: dt.date, start: dt.time, end: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    """The meeting starting on ``date`` on ``zone``'s clock, as aware datetimes there; an
    end at or before the start is the next day's (a meeting that passes midnight)."""
    begins = _wall_clock(date, start, zone)
    ends = _wall_clock(date + _DAY if end <= start else date, end, zone)
    return begins, ends


def _wall_clock(date: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``time`` on ``date`` there. A time a fall-back repeats is its second pass (so the
    meeting is still ahead during the first); one a spring-forward skips is read on the
    clock before the change, which puts it as much later as the clocks jumped."""
    second = dt.datetime.combine(date, time, tzinfo=zone).replace(fold=1)
    if second.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == second.replace(
        tzinfo=None
    ):
        return second
    return second.replace(fold=0)


@functools.lru_cache(maxsize=65536)
def next_occurrence(
    zone_name: str, day: int, start: dt.time, end: dt.time, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """(start, end) in UTC of a weekly meeting's current occurrence at ``now``: the
    first not ended yet or begun less than ``LINGER`` ago. None for an unknown zone.

    Cached: a seed or a refresh asks for the same (zone, day, times) many times over."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    today = now.astimezone(zone).date()
    # This week's day of the meeting, on or before today: the latest that can still be
    # running (a meeting lasts at most a day), then a week at a time.
    date = today - dt.timedelta(days=(spec_weekday(today) - day) % 7)
    for _ in range(3):
        begins, ends = (
            moment.astimezone(dt.UTC) for moment in local_occurrence(zone, date, start, end)
        )
        if ends > now or begins + LINGER > now:
            return begins, ends
        date += _WEEK
    raise AssertionError("a weekly meeting always has a next occurrence")  # pragma: no cover


def to_the_minute(now: dt.datetime) -> dt.datetime:
    """``now`` in UTC without seconds: search's clock words change by the minute."""
    return now.astimezone(dt.UTC).replace(second=0, microsecond=0)
