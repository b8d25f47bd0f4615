"""The feed as the field's clients (TSML UI, the Meeting Guide app) read it: true dates,
times past midnight, places told right (approximate, regions)."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meetings.formats import parse
from meetings.formats.meeting_guide import feed_end_time
from meetings.models import Meeting
from meetings.schedule import occurrence_on
from tests.conftest import (
    SHARED_DATA,
    make_location,
    make_meeting,
    make_organizer,
    make_user,
    meeting_form_data,
    needs_shared_data,
)

pytestmark = pytest.mark.django_db


def feed(client) -> dict[str, dict]:
    response = client.get(reverse("meetings:meeting-feed"))
    assert response.status_code == 200
    return {row["slug"]: row for row in json.loads(b"".join(response.streaming_content))}


# True dates -----------------------------------------------------------------------------


def test_updated_is_when_the_listing_last_changed_not_when_it_was_last_saved(client):
    meeting = make_meeting()
    long_ago = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
    Meeting.objects.filter(pk=meeting.pk).update(last_changed=long_ago)
    meeting.refresh_from_db()
    meeting.save()  # a save that changes nothing a person reads (say, a zone retouched)
    assert feed(client)[meeting.slug]["updated"] == "2024-03-05 12:00:00"


@pytest.mark.parametrize("site", ["admin", "manage"])
def test_an_edit_is_a_change_and_saving_an_unchanged_form_is_not(client, site):
    meeting = make_meeting()
    long_ago = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
    Meeting.objects.filter(pk=meeting.pk).update(last_changed=long_ago)
    meeting.refresh_from_db()
    person = make_user(is_staff=True, is_superuser=True) if site == "admin" else None
    client.force_login(person or make_organizer(meeting.group))
    url = reverse(f"{site}:meetings_meeting_change", args=[meeting.pk])
    unchanged = meeting_form_data(meeting)
    if site == "admin":
        unchanged["slug"] = meeting.slug  # staff may edit it; organizers may not
    assert client.post(url, unchanged).status_code == 302
    meeting.refresh_from_db()
    assert meeting.last_changed == long_ago
    assert client.post(url, {**unchanged, "notes": "Bring a book."}).status_code == 302
    meeting.refresh_from_db()
    assert timezone.now() - meeting.last_changed < dt.timedelta(minutes=1)


def test_the_meeting_page_tells_the_same_last_change(client):
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(
        last_changed=timezone.now() - dt.timedelta(days=3, hours=1)
    )
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Listing last changed 3 days ago" in page


# Times past midnight --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "written"),
    [
        ("19:00", "20:30", "20:30"),
        # Past midnight: clients would put the end on the start's day, before the start.
        ("23:30", "00:30", ""),
        ("23:00", "00:30", ""),
        ("22:00", "00:00", ""),
        ("22:00", "", ""),
    ],
)
def test_end_times_past_midnight_are_written_as_clients_read_them(start, end, written):
    assert feed_end_time(start, end) == written


def test_a_meeting_past_midnight_ends_the_next_day_on_its_page(client):
    meeting = make_meeting(day=1, start_time=dt.time(23), end_time=dt.time(0, 30))
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "11:00 PM – 12:30 AM (next day)" in page
    occurrence = occurrence_on(meeting, dt.date(2026, 6, 1))
    assert occurrence.end - occurrence.start == dt.timedelta(minutes=90)


def test_a_meeting_past_midnight_has_its_end_after_its_start_in_the_calendar(client):
    meeting = make_meeting(day=0, start_time=dt.time(23, 30), end_time=None)
    response = client.get(reverse("meetings:meeting-ics", args=[meeting.slug]))
    ics = Calendar.from_ical(response.content)
    (event,) = ics.walk("VEVENT")
    start, end = event["dtstart"].dt, event["dtend"].dt
    assert end - start == dt.timedelta(hours=1)
    assert event["rrule"]["FREQ"] == ["WEEKLY"] and event["rrule"]["BYDAY"] == ["SU"]


# Places told right ----------------------------------------------------------------------


def test_same_named_towns_of_different_states_are_different_regions(client):
    texas = make_meeting(location=make_location(city="Pasadena", state="TX", region="Red Bluff"))
    california = make_meeting(location=make_location(city="Pasadena", state="CA"))
    rows = feed(client)
    assert rows[texas.slug]["regions"] == ["TX", "Pasadena", "Red Bluff"]
    assert rows[california.slug]["regions"] == ["CA", "Pasadena"]


def test_a_door_placed_only_at_its_zip_centre_is_not_pinned_as_exact(client):
    centre = make_meeting(location=make_location(needs_geocoding=True))
    exact = make_meeting(location=make_location())
    town = make_meeting(
        attendance="online",
        conference_url="https://zoom.us/j/1",
        location=make_location(address="", approximate=True),
    )
    rows = feed(client)
    assert "latitude" not in rows[centre.slug]
    assert rows[centre.slug]["approximate"] == "no"  # the address is a door people find
    assert (rows[exact.slug]["approximate"], rows[exact.slug]["latitude"]) == ("no", 44.9695)
    assert rows[town.slug]["approximate"] == "yes"


def test_regions_read_back_as_the_neighbourhood_not_the_city():
    row = {
        "slug": "a",
        "name": "A",
        "day": 1,
        "time": "19:00",
        "address": "1 Main St",
        "city": "Chicago",
        "state": "IL",
        "regions": ["Illinois", "Chicago", "Wicker Park", "North"],
    }
    (record,) = parse(json.dumps([row]).encode(), "meeting-guide")
    assert (record.location.region, record.location.sub_region) == ("Wicker Park", "North")
    row["regions"] = ["IL", "Chicago"]
    (record,) = parse(json.dumps([row]).encode(), "meeting-guide")
    assert record.location.region == ""


# Imports keep the source's own date -----------------------------------------------------


def import_rows(rows, *, fellowship):
    from meetings.importing import meetings_import

    return meetings_import(
        records=parse(json.dumps(rows).encode(), "meeting-guide"),
        fellowship=fellowship,
        source="https://example.org/feed.json",
    )


def source_row(**changes) -> dict:
    return {
        "slug": "monday-night",
        "name": "Monday Night",
        "day": 1,
        "time": "19:00",
        "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
        "latitude": 44.9695,
        "longitude": -93.2836,
        "timezone": "America/Chicago",
        "updated": "2023-04-05 06:07:08",
        **changes,
    }


def test_an_import_keeps_the_sources_updated_across_unchanged_reimports(client):
    from tests.conftest import make_fellowship

    aa = make_fellowship()
    import_rows([source_row()], fellowship=aa)
    summary = import_rows([source_row()], fellowship=aa)
    assert summary.unchanged == 1
    (row,) = feed(client).values()
    assert row["updated"] == "2023-04-05 06:07:08"

    import_rows([source_row(updated="2024-01-02 03:04:05", notes="New room")], fellowship=aa)
    (row,) = feed(client).values()
    assert (row["updated"], row["notes"]) == ("2024-01-02 03:04:05", "New room")


def test_an_import_without_a_source_date_changes_last_changed_only_on_a_change():
    from tests.conftest import make_fellowship

    aa = make_fellowship()
    import_rows([source_row(updated="")], fellowship=aa)
    meeting = Meeting.objects.get()
    long_ago = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
    Meeting.objects.filter(pk=meeting.pk).update(last_changed=long_ago)
    import_rows([source_row(updated="")], fellowship=aa)
    meeting.refresh_from_db()
    assert meeting.last_changed == long_ago
    import_rows([source_row(updated="", time="19:30")], fellowship=aa)
    meeting.refresh_from_db()
    assert timezone.now() - meeting.last_changed < dt.timedelta(minutes=1)


# A round trip, and the meetings staff must place ------------------------------------------


def _minneapolis_round_trip(client) -> tuple[dict, set]:
    """Import the Minneapolis sample feed, export it: the meetings whose exported
    location name or notes are not their own in the source (by slug, with both), and
    the slugs of source rows the import placed at one location with a row that names or
    describes the place otherwise."""
    from collections import defaultdict

    from django.core.management import call_command

    from directory.models import Fellowship
    from meetings.importing import meetings_import

    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    source = json.loads((SHARED_DATA / "aa-minneapolis-2018.meeting-guide.json").read_bytes())
    meetings_import(
        records=parse(json.dumps(source).encode(), "meeting-guide"),
        fellowship=Fellowship.objects.get(slug="aa"),
        source="minneapolis",
        type_map={"HE": ""},
        default_timezone="America/Chicago",
    )
    exported = feed(client)
    assert len(exported) == len(source)

    def own(row):
        return (row["location"] or "", (row["location_notes"] or "").strip())

    given = {row["slug"]: row for row in source}
    # The import keeps one location per address (as it matches addresses).
    placed = dict(Meeting.objects.values_list("source_key", "location_id"))
    at_location = defaultdict(set)
    for key, location in placed.items():
        at_location[location].add(own(given[key]))
    ambiguous = {key for key, location in placed.items() if len(at_location[location]) > 1}
    keys = dict(Meeting.objects.values_list("slug", "source_key"))
    lost = {}
    for slug, row in exported.items():
        theirs = given[keys[slug]]
        if (row["location"], row["location_notes"]) != own(theirs):
            lost[keys[slug]] = {
                "source": own(theirs),
                "exported": (row["location"], row["location_notes"]),
            }
    return lost, ambiguous


@needs_shared_data
def test_a_round_trip_keeps_the_location_name_and_notes_of_every_unshared_address(client):
    lost, ambiguous = _minneapolis_round_trip(client)
    assert len(ambiguous) < 20
    assert set(lost) <= ambiguous, json.dumps(lost, indent=1)


@needs_shared_data
def test_a_round_trip_keeps_each_meetings_own_location_name_and_notes(client):
    lost, _ambiguous = _minneapolis_round_trip(client)
    assert lost == {}, json.dumps(lost, indent=1)


def test_staff_find_the_online_meetings_with_no_home_town_in_the_admin(client):
    placeless = make_meeting(
        name="Nowhere Online",
        attendance="online",
        location=None,
        conference_url="https://zoom.us/j/1",
    )
    placed = make_meeting(
        name="Duluth Online",
        attendance="online",
        conference_url="https://zoom.us/j/1",
        location=make_location(address="", approximate=True, city="Duluth"),
    )
    in_person = make_meeting(name="Lakeside Hall")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:meetings_meeting_changelist")
    everything = client.get(url).content.decode()
    assert all(m.name in everything for m in (placeless, placed, in_person))
    page = client.get(url, {"place": "none"})
    assert page.status_code == 200
    listed = page.content.decode()
    assert "Online, with no town or address" in listed
    assert placeless.name in listed
    assert placed.name not in listed and in_person.name not in listed
