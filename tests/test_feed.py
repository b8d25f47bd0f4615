"""Feeds out: the Meeting Guide JSON feed others read, and the search as a calendar."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from directory.models import Fellowship, Group, Location
from meetings import feeds, views
from meetings.formats import parse
from meetings.formats.meeting_guide import feed_problems
from meetings.importing import meetings_import
from meetings.models import Meeting, MeetingType
from tests.conftest import (
    SHARED_DATA,
    make_group,
    make_location,
    make_meeting,
    make_place,
    make_user,
    needs_shared_data,
)

pytestmark = pytest.mark.django_db

MINNEAPOLIS = SHARED_DATA / "aa-minneapolis-2018.meeting-guide.json"
ZOOM = "https://us02web.zoom.us/j/812345678"


@pytest.fixture
def reference(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


def get_feed(client, **params) -> list[dict]:
    response = client.get(reverse("meetings:meeting-feed"), params)
    assert response.status_code == 200
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def spec_codes() -> set[str]:
    return set(MeetingType.objects.filter(fellowship=None).values_list("code", flat=True))


def a_directory(aa: Fellowship) -> None:
    """Meetings of every kind the feed must tell apart."""
    group = make_group(fellowship=aa, name="Loring Group", description="Since 1970.")
    make_meeting(
        group=group,
        name="Monday Big Book",
        day=1,
        start_time=dt.time(19),
        types=["B", "X", "W"],
        notes="Books provided.",
    )
    make_meeting(
        group=group,
        name="Hybrid Step",
        day=2,
        attendance="hybrid",
        conference_url=ZOOM,
        conference_url_notes="Passcode 42",
        access="closed",
        types=["ST"],
    )
    make_meeting(
        group=group,
        name="Online, based in town",
        day=3,
        attendance="online",
        conference_phone="+16465588656,,812345678#",
        location=make_location(name="Hall"),
        types=["D", "X"],
    )
    make_meeting(
        group=group,
        name="Online only",
        day=4,
        attendance="online",
        conference_url=ZOOM,
        location=None,
        timezone="America/New_York",
        end_time=dt.time(0, 30),
        start_time=dt.time(23, 30),
    )
    make_meeting(
        group=group,
        name="Paused in person",
        day=5,
        attendance="hybrid",
        conference_url=ZOOM,
        status="tc",
        types=["SP"],
    )
    make_meeting(group=group, name="Retired", day=6, status="inactive")
    make_meeting(group=make_group(fellowship=aa, status="pending"), name="Awaiting review")


def test_the_feed_lists_every_public_meeting_with_every_field(client, reference):
    a_directory(reference)
    rows = {row["name"]: row for row in get_feed(client)}
    assert set(rows) == {
        "Monday Big Book",
        "Hybrid Step",
        "Online, based in town",
        "Online only",
        "Paused in person",
    }
    row = rows["Monday Big Book"]
    meeting = Meeting.objects.get(name="Monday Big Book")
    assert row == {
        "name": "Monday Big Book",
        "slug": meeting.slug,
        "day": 1,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/Chicago",
        "location": "St. Mark's Church",
        "location_notes": "",
        "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
        "address": "519 Oak Grove St",
        "city": "Minneapolis",
        "state": "MN",
        "postal_code": "55403",
        "country": "US",
        "region": "",
        "sub_region": "",
        "regions": ["MN", "Minneapolis"],
        "approximate": "no",
        "latitude": 44.9695,
        "longitude": -93.2836,
        "types": ["B", "O", "W", "X"],
        "conference_url": "",
        "conference_url_notes": "",
        "conference_phone": "",
        "conference_phone_notes": "",
        "attendance_option": "in_person",
        "group": "Loring Group",
        "group_notes": "Since 1970.",
        "notes": "Books provided.",
        "updated": meeting.last_changed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "url": f"http://testserver/meetings/{meeting.slug}/",
        "feedback_url": f"http://testserver/meetings/{meeting.slug}/report/",
        "fellowship": "aa",
    }
    assert rows["Hybrid Step"]["attendance_option"] == "hybrid"
    assert rows["Hybrid Step"]["types"] == ["C", "ST"]
    # Online only, with a home town: told as the town (approximate), without in-person types.
    town = rows["Online, based in town"]
    assert (town["attendance_option"], town["approximate"], town["address"]) == (
        "online",
        "yes",
        "",
    )
    assert town["formatted_address"] == "Minneapolis, MN 55403, USA"
    assert town["types"] == ["D", "O"]
    # An hour past midnight is written as no end (one hour): clients would put an end
    # of 00:30 on the start's day, before the start.
    assert rows["Online only"]["end_time"] == ""
    assert rows["Online only"]["timezone"] == "America/New_York"
    paused = rows["Paused in person"]
    assert (paused["attendance_option"], paused["types"]) == ("online", ["O", "SP", "TC"])


def test_the_feed_is_valid_for_meeting_guide_consumers(client, reference):
    a_directory(reference)
    assert feed_problems(get_feed(client), spec_codes=spec_codes()) == []


def test_the_feed_never_carries_people(client, reference):
    organizer = make_user(email="kim.organizer@example.org")
    group = make_group(fellowship=reference, email="private.person@example.org", phone="555-0101")
    group.organizers.add(organizer)
    meeting = make_meeting(group=group)
    body = b"".join(client.get(reverse("meetings:meeting-feed")).streaming_content).decode()
    assert [row["slug"] for row in json.loads(body)] == [meeting.slug]
    assert "kim.organizer" not in body
    assert "private.person" not in body
    assert "555-0101" not in body


def test_the_feed_applies_the_search_filters(client, reference):
    make_place()  # 55404, Minneapolis
    na = Fellowship.objects.get(slug="na")
    make_meeting(group=make_group(fellowship=reference), name="AA near")
    make_meeting(group=make_group(fellowship=na), name="NA near")
    far = make_location(latitude=46.8, longitude=-92.1, city="Duluth")  # ~140 miles
    make_meeting(group=make_group(fellowship=reference), name="AA far", location=far)
    names = [row["name"] for row in get_feed(client, fellowship="aa", near="55404", radius=25)]
    assert names == ["AA near"]
    assert {row["name"] for row in get_feed(client, fellowship="na")} == {"NA near"}


def test_without_a_place_the_feed_is_every_meeting_not_the_searchs_online_default(
    client, reference
):
    make_meeting(name="In person", day=3, start_time=dt.time(6))
    assert [row["name"] for row in get_feed(client)] == ["In person"]


def test_a_bad_parameter_is_a_400_with_a_json_error(client, reference):
    response = client.get(reverse("meetings:meeting-feed"), {"radius": "7", "day": "funday"})
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["error"] == "Invalid parameters."
    assert set(body["fields"]) == {"radius", "day"}
    unknown = client.get(reverse("meetings:meeting-feed"), {"near": "Atlantis, ZZ"})
    assert unknown.status_code == 400
    assert "near" in unknown.json()["fields"]


def test_the_feed_streams_and_any_site_may_read_it(client, reference):
    make_meeting()
    response = client.get(reverse("meetings:meeting-feed"))
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        reverse("meetings:meeting-feed"),
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert client.post(reverse("meetings:meeting-feed")).status_code == 405


def test_the_feed_reads_types_per_chunk_not_per_meeting(
    client, reference, django_assert_max_num_queries
):
    for day in range(7):
        make_meeting(day=day, types=["D", "W"])
    with django_assert_max_num_queries(4):
        rows = get_feed(client)
    assert all(row["types"] == ["D", "O", "W"] for row in rows)


def test_each_chunks_types_are_right_whether_its_ids_are_close_or_scattered(
    client, reference, monkeypatch
):
    monkeypatch.setattr(feeds, "FEED_CHUNK", 2)
    codes = ["D", "W", "ST", "B", "BE", "LIT", "M", "SP"]
    made = [make_meeting(day=n % 7, types=[codes[n % len(codes)]]) for n in range(16)]
    # The first six stay consecutive (their chunks' types are read by id range); of the
    # rest only every fourth is public, so those chunks' ids are far apart (read by
    # list), and the retired meetings between them have types that must not leak.
    for n, meeting in enumerate(made[6:]):
        if n % 4:
            Meeting.objects.filter(pk=meeting.pk).update(status="inactive")
    public = [n for n in range(16) if n < 6 or (n - 6) % 4 == 0]
    rows = get_feed(client)
    assert [row["slug"] for row in rows] == [made[n].slug for n in public]
    assert [row["types"] for row in rows] == [sorted({codes[n % len(codes)], "O"}) for n in public]


def test_a_fellowships_own_types_never_leave_in_the_feed(client, reference):
    own = MeetingType.objects.create(fellowship=reference, code="HE", name="Heritage")
    meeting = make_meeting(group=make_group(fellowship=reference), types=["D"])
    meeting.types.add(own)
    (row,) = get_feed(client)
    assert row["types"] == ["D", "O"]


def test_the_feed_is_compact_utf8_json_one_meeting_per_line(client, reference):
    group = make_group(fellowship=reference, name='The "Early" Birds', description="Café\n1970")
    make_meeting(group=group, name="Frühstück ✓", notes='Say "hi"\tat the door', types=["D"])
    make_meeting(group=group, name="Second", day=2)
    body = b"".join(client.get(reverse("meetings:meeting-feed")).streaming_content).decode()
    rows = json.loads(body)
    compact = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
    assert body == "[" + ",\n".join(compact) + "]\n"
    assert [row["name"] for row in rows] == ["Frühstück ✓", "Second"]


def test_the_feed_writes_times_to_the_minute_and_updated_in_utc_to_the_second(client, reference):
    meeting = make_meeting(start_time=dt.time(7, 5, 59), end_time=dt.time(8, 30, 59))
    chicago_new_years_eve = dt.datetime(2024, 12, 31, 18, 59, 59, 999999)
    Meeting.objects.filter(pk=meeting.pk).update(
        last_changed=chicago_new_years_eve.replace(tzinfo=ZoneInfo("America/Chicago"))
    )
    (row,) = get_feed(client)
    assert (row["time"], row["end_time"]) == ("07:05", "08:30")
    assert row["updated"] == "2025-01-01 00:59:59"


def test_every_page_points_to_the_feed(client, reference):
    link = (
        '<link rel="alternate" type="application/json" title="Meetings Feed" '
        'href="http://testserver/api/meetings.json">'
    )
    for url in ("/", reverse("meetings:meeting-list"), make_meeting().get_absolute_url()):
        assert link in client.get(url).content.decode()


# The round trip ------------------------------------------------------------------------


def empty_directory():
    Meeting.objects.all().delete()
    Group.objects.all().delete()
    Location.objects.all().delete()
    MeetingType.objects.exclude(fellowship=None).delete()


def round_trip(client, fellowship) -> tuple[list[dict], list[dict]]:
    """Export, import the feed into an emptied directory as a new source, export again."""
    first = get_feed(client)
    empty_directory()
    summary = meetings_import(
        records=parse(json.dumps(first).encode(), "meeting-guide"),
        fellowship=fellowship,
        source="http://testserver/api/meetings.json",
    )
    assert summary.skipped == []
    return first, get_feed(client)


def without_updated(rows):
    # "updated" is when our copy last changed: the importing site's own clock, not the
    # source's (Meeting.updated is set on every write).
    return sorted(({k: v for k, v in row.items() if k != "updated"} for row in rows), key=str)


def test_our_feed_reads_back_into_our_importer_unchanged(client, reference):
    a_directory(reference)
    first, second = round_trip(client, reference)
    assert len(first) == 5
    # Slugs are kept (they were free), so even url and feedback_url come back the same.
    assert without_updated(second) == without_updated(first)


@needs_shared_data
def test_the_minneapolis_feed_round_trips_and_is_valid(client, reference):
    meetings_import(
        records=parse(MINNEAPOLIS.read_bytes(), "meeting-guide"),
        fellowship=reference,
        source="minneapolis",
        type_map={"HE": ""},
    )
    first, second = round_trip(client, reference)
    assert len(first) == 1048
    assert without_updated(second) == without_updated(first)
    assert feed_problems(first, spec_codes=spec_codes()) == []


# The search as a calendar --------------------------------------------------------------


def test_the_search_is_a_calendar_to_subscribe_to(client, reference):
    make_place()  # 55404
    make_meeting(name="Near", day=2, start_time=dt.time(18, 30))
    make_meeting(name="Far", location=make_location(latitude=46.8, longitude=-92.1))
    response = client.get(reverse("meetings:search-calendar"), {"near": "55404", "radius": 10})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Near"
    assert event["RRULE"]["BYDAY"] == ["TU"]
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert str(event["URL"]).startswith("http://testserver/meetings/")
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    assert "55404" in str(cal["X-WR-CALNAME"])


def test_the_results_page_offers_the_same_search_as_a_webcal_link(client, reference):
    make_place()
    page = client.get(reverse("meetings:meeting-list"), {"near": "55404", "fellowship": "aa"})
    assert (
        'href="webcal://testserver/meetings.ics?near=55404&amp;fellowship=aa"'
        in page.content.decode()
    )


def test_the_search_calendar_holds_at_most_its_limit(client, reference, monkeypatch):
    monkeypatch.setattr(views, "CALENDAR_LIMIT", 2)
    make_place()
    for day in range(4):
        make_meeting(day=day)
    response = client.get(reverse("meetings:search-calendar"), {"near": "55404"})
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 2


def test_a_bad_search_calendar_parameter_is_a_400(client, reference):
    response = client.get(reverse("meetings:search-calendar"), {"radius": "7"})
    assert response.status_code == 400


def _calendar(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("meetings:search-calendar"), params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_search_calendar_is_kept_until_a_listing_within_reach_changes(client, reference):
    make_place()
    meeting = make_meeting(name="Harbor Lights")
    first, built = _calendar(client, near="55404")
    again, kept = _calendar(client, near="55404", utm_source="x", radius="")
    assert again == first and "Harbor Lights" in first
    assert kept < built  # the meetings were not read again: at most the place
    meeting.name = "Harbor Dawn"
    meeting.save()
    changed, _queries = _calendar(client, near="55404")
    assert "Harbor Dawn" in changed and "Harbor Lights" not in changed


def test_the_search_calendar_for_a_signed_in_person_is_built_each_time(client, reference):
    make_place()
    make_meeting(name="Harbor Lights")
    client.force_login(make_user())
    _first, built = _calendar(client, near="55404")
    _again, rebuilt = _calendar(client, near="55404")
    assert rebuilt == built
