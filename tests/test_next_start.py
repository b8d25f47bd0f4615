"""Each meeting's next start as an instant: the same answers as each meeting's own clock,
across daylight-saving changes in both hemispheres, from one indexed range."""

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from meetings.models import Meeting
from meetings.next_start import LINGER, local_occurrence, spec_weekday
from tests.conftest import FEED_ROW, import_feed, make_fellowship
from tests.test_search_phone import _online

pytestmark = pytest.mark.django_db

UTC = dt.UTC
CHICAGO = ZoneInfo("America/Chicago")
SYDNEY = ZoneInfo("Australia/Sydney")


def _stored(meeting):
    meeting.refresh_from_db()
    return meeting.next_start, meeting.next_end


def test_a_saved_meeting_knows_its_next_start_in_utc(monkeypatch):
    # Saturday 2026-11-21, noon in Chicago (CST, UTC-6).
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    meeting = _online("Evenings", 1, dt.time(19), dt.time(20, 30))  # Monday evenings
    assert _stored(meeting) == (
        dt.datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 24, 2, 30, tzinfo=UTC),
    )
    meeting.day, meeting.start_time, meeting.end_time = 6, dt.time(7), dt.time(8)
    meeting.save(update_fields=["day", "start_time", "end_time"])  # to Saturday mornings
    assert _stored(meeting)[0] == dt.datetime(2026, 11, 28, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "computed_on, zone, day, start, expected",
    [
        # Chicago springs forward on Sunday 2026-03-08: the Monday after is UTC-5, not -6.
        (dt.datetime(2026, 3, 6, 12), CHICAGO, 1, dt.time(19), dt.datetime(2026, 3, 10, 0)),
        # ... and falls back on Sunday 2026-11-01: from UTC-5 to UTC-6.
        (dt.datetime(2026, 10, 30, 12), CHICAGO, 1, dt.time(19), dt.datetime(2026, 11, 3, 1)),
        # Sydney's summer ends on Sunday 2026-04-05 (UTC+11 to +10) ...
        (dt.datetime(2026, 4, 2, 12), SYDNEY, 0, dt.time(10), dt.datetime(2026, 4, 5, 0)),
        # ... and starts on Sunday 2026-10-04 (UTC+10 to +11).
        (dt.datetime(2026, 10, 1, 12), SYDNEY, 0, dt.time(10), dt.datetime(2026, 10, 3, 23)),
        # 02:30 does not exist in Chicago on 2026-03-08: it is met at 03:30 CDT.
        (dt.datetime(2026, 3, 6, 12), CHICAGO, 0, dt.time(2, 30), dt.datetime(2026, 3, 8, 8, 30)),
        # 01:10 happens twice on 2026-11-01: the meeting is the second time round (CST).
        (
            dt.datetime(2026, 10, 30, 12),
            CHICAGO,
            0,
            dt.time(1, 10),
            dt.datetime(2026, 11, 1, 7, 10),
        ),
    ],
)
def test_the_next_start_is_the_real_instant_across_a_change_of_clocks(
    computed_on, zone, day, start, expected
):
    meeting = Meeting(day=day, start_time=start, timezone=zone.key)
    meeting.set_next_start(computed_on.replace(tzinfo=UTC))
    assert meeting.next_start == expected.replace(tzinfo=UTC)


def test_a_meeting_begun_under_an_hour_ago_or_still_running_keeps_its_occurrence():
    meeting = Meeting(day=1, start_time=dt.time(19), end_time=dt.time(19, 30), timezone="UTC")
    monday = dt.datetime(2026, 11, 23, tzinfo=UTC)
    meeting.set_next_start(monday.replace(hour=19, minute=45))  # over, but begun 45 min ago
    assert meeting.next_start == monday.replace(hour=19)
    meeting.set_next_start(monday.replace(hour=20))  # an hour after it began: next week's
    assert meeting.next_start == monday.replace(day=30, hour=19)
    late = Meeting(day=0, start_time=dt.time(23), end_time=dt.time(2), timezone="UTC")
    late.set_next_start(monday.replace(hour=1, minute=30))  # Sunday's is still running
    assert late.next_start == dt.datetime(2026, 11, 22, 23, tzinfo=UTC)


def test_the_refresh_moves_only_meetings_whose_occurrence_is_over():
    monday = dt.datetime(2026, 11, 23, 18, tzinfo=CHICAGO)
    early = _online("Early", 1, dt.time(17, 15), dt.time(17, 45))
    later = _online("Later", 1, dt.time(21), dt.time(22))
    assert Meeting.objects.refresh_next_starts(monday, every=True) == 2
    assert _stored(early)[0] == dt.datetime(2026, 11, 23, 17, 15, tzinfo=CHICAGO)  # begun < 1 h
    assert Meeting.objects.refresh_next_starts(monday + dt.timedelta(hours=1)) == 1
    assert _stored(early)[0] == dt.datetime(2026, 11, 30, 17, 15, tzinfo=CHICAGO)
    assert _stored(later)[0] == dt.datetime(2026, 11, 23, 21, tzinfo=CHICAGO)
    assert Meeting.objects.refresh_next_starts(monday + dt.timedelta(hours=1)) == 0
    Meeting.objects.filter(pk=later.pk).update(next_start=None, next_end=None)  # a raw write
    out = io.StringIO()
    call_command("refresh_next_starts", stdout=out)
    # The command runs on today's clock, after both of those occurrences.
    assert "of 2 meetings" in out.getvalue()
    assert _stored(later)[0] > timezone.now() - dt.timedelta(hours=1)


# Clock changes of 2026 (UTC): Chicago spring and autumn, Sydney and Lord Howe (a half-hour
# change) autumn and spring; the searches run from 36 hours before to 36 hours after each.
CHANGES = [
    dt.datetime(2026, 3, 8, 8, tzinfo=UTC),
    dt.datetime(2026, 11, 1, 7, tzinfo=UTC),
    dt.datetime(2026, 4, 4, 16, tzinfo=UTC),
    dt.datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]
ZONES = ["America/Chicago", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe"]
ZONES += ["Asia/Kolkata", "UTC"]


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def on_its_own_clock(meetings, now) -> dict[str, set[int]]:
    """The answers worked out in Python from each meeting's wall clock and zone, day by
    day around ``now``: the occurrences that started from an hour ago to 2 hours ahead,
    that are under way, and that start in the next 60 minutes."""
    minute = now.replace(second=0, microsecond=0)
    found = {"within 2 h": set(), "in progress": set(), "next hour": set()}
    for meeting in meetings:
        zone = ZoneInfo(meeting.timezone)
        today = minute.astimezone(zone).date()
        for offset in range(-2, 3):
            date = today + dt.timedelta(days=offset)
            if spec_weekday(date) != meeting.day:
                continue
            begins, ends = (
                moment.astimezone(UTC)
                for moment in local_occurrence(zone, date, meeting.start_time, meeting.end_time)
            )
            if minute - LINGER <= begins < minute + dt.timedelta(hours=2):
                found["within 2 h"].add(meeting.pk)
            if begins <= minute < ends:
                found["in progress"].add(meeting.pk)
            if minute <= begins < minute + dt.timedelta(minutes=60):
                found["next hour"].add(meeting.pk)
    return found


def test_the_index_gives_the_same_meetings_as_each_meetings_own_clock():
    """Random weekly meetings, searched every 131 minutes around each change of clocks,
    with the next starts refreshed up to 4 days before, give what each meeting's own
    clock says."""
    rng = random.Random(14)
    for n in range(70):
        start = dt.datetime(2026, 1, 1, rng.randint(0, 23), rng.choice([0, 10, 15, 30, 45]))
        end = start + dt.timedelta(minutes=rng.choice([30, 60, 90, 120]))
        _online(f"{n}", rng.randint(0, 6), start.time(), end.time(), zone=rng.choice(ZONES))
    meetings = Meeting.objects.all()
    checked = 0
    for change in CHANGES:
        meetings.refresh_next_starts(change - dt.timedelta(days=2, hours=12), every=True)
        for step in range(-16, 17):
            now = change + dt.timedelta(minutes=131 * step)
            expected = on_its_own_clock(meetings, now)
            assert ids(meetings.starting_within(now, 2)) == expected["within 2 h"], now
            assert ids(meetings.in_progress(now)) == expected["in progress"], now
            assert ids(meetings.starting_in_next(now, 60)) == expected["next hour"], now
            checked += len(expected["within 2 h"])
    assert checked > 100  # the searches found meetings, not only empty sets


def test_an_import_writes_each_meetings_next_start(monkeypatch):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    aa = make_fellowship(slug="test-aa")
    row = FEED_ROW

    def run(rows):
        import_feed(rows, aa)

    run([row])
    assert _stored(Meeting.objects.get())[0] == dt.datetime(2026, 11, 23, 13, tzinfo=UTC)
    run([{**row, "time": "08:15"}])  # a re-import that moves it
    assert _stored(Meeting.objects.get())[0] == dt.datetime(2026, 11, 23, 14, 15, tzinfo=UTC)


def test_starting_soon_is_a_range_of_the_next_start_index():
    now = dt.datetime(2026, 11, 23, 18, tzinfo=UTC)
    everyone = Meeting.objects.starting_within(now, 2)
    online = everyone.filter(attendance="online")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a few test rows: make the planner choose
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = everyone.explain()
    # PostgreSQL, costing a few test rows with no statistics, may walk the other index
    # that holds next_start (attendance, next_start, next_end): still no scan of the table.
    assert "meeting_next_start_idx" in plan or (
        connection.vendor == "postgresql" and "meeting_online_next_idx" in plan
    )
    # The online section's: one range of (attendance, next_start), online rows only.
    assert "meeting_online_next_idx" in online.explain()
    assert (
        "meeting_online_next_idx"
        in Meeting.objects.in_progress(now).filter(attendance="online").explain()
    )
