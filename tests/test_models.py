"""The rules of a meeting: refused with a clear message, and held by the database itself."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from meetings.models import (
    Meeting,
    MeetingType,
    default_end_time,
    type_ids_of,
    unique_meeting_slug,
)
from tests.conftest import make_group, make_location, make_meeting

pytestmark = pytest.mark.django_db


def _errors(meeting) -> dict:
    with pytest.raises(ValidationError) as info:
        meeting.full_clean()
    return info.value.message_dict


def test_a_meeting_fills_name_end_time_timezone_and_slug_from_what_it_has():
    group = make_group(name="Sunrise Serenity Group")
    meeting = make_meeting(group=group, day=0, start_time=dt.time(23, 30))
    assert meeting.name == "Sunrise Serenity Group"
    assert meeting.end_time == dt.time(0, 30)  # past midnight
    assert meeting.timezone == "America/Chicago"
    assert meeting.slug == "sunrise-serenity-group-sun"


def test_slugs_stay_unique_and_short():
    group = make_group(name="A" * 200)
    first = make_meeting(group=group, day=2)
    second = make_meeting(group=group, day=2)
    assert first.slug != second.slug
    assert len(first.slug) <= 64 and len(second.slug) <= 64
    assert second.slug.endswith("-2")
    assert unique_meeting_slug("!!!", 3) == "meeting-wed"


def test_default_end_time_wraps_past_midnight():
    assert default_end_time(dt.time(19, 0)) == dt.time(20, 0)
    assert default_end_time(dt.time(23, 15)) == dt.time(0, 15)


def test_in_person_meeting_without_location_is_refused():
    meeting = Meeting(group=make_group(), day=1, start_time=dt.time(7), attendance="in_person")
    assert "needs a location" in _errors(meeting)["location"][0]


def test_hybrid_meeting_at_an_approximate_location_is_refused():
    location = make_location(approximate=True)
    meeting = Meeting(
        group=make_group(),
        location=location,
        day=1,
        start_time=dt.time(7),
        attendance="hybrid",
        conference_url="https://zoom.us/j/123",
    )
    assert "only approximate" in _errors(meeting)["location"][0]


def test_online_meeting_without_join_link_or_phone_is_refused():
    meeting = Meeting(
        group=make_group(),
        day=1,
        start_time=dt.time(7),
        attendance="online",
        timezone="America/New_York",
    )
    assert "join link or a dial-in" in _errors(meeting)["conference_url"][0]


def test_online_meeting_with_only_a_phone_is_accepted():
    meeting = make_meeting(attendance="online", conference_phone="+16465588656,,123#")
    assert meeting.is_online and not meeting.is_in_person


def test_join_link_must_be_http():
    meeting = Meeting(
        group=make_group(),
        day=1,
        start_time=dt.time(7),
        attendance="online",
        timezone="America/New_York",
        conference_url="ftp://example.org/x",
    )
    assert "conference_url" in _errors(meeting)


def test_online_meeting_needs_a_time_zone():
    meeting = Meeting(
        group=make_group(),
        day=1,
        start_time=dt.time(7),
        attendance="online",
        conference_url="https://zoom.us/j/1",
    )
    assert "time zone" in _errors(meeting)["timezone"][0]


def test_unknown_time_zone_is_refused():
    meeting = Meeting(
        group=make_group(),
        day=1,
        start_time=dt.time(7),
        attendance="online",
        conference_url="https://zoom.us/j/1",
        timezone="Mars/Olympus",
    )
    assert "timezone" in _errors(meeting)


def test_weekday_out_of_range_is_refused():
    meeting = Meeting(group=make_group(), location=make_location(), day=7, start_time=dt.time(7))
    assert "day" in _errors(meeting)


def test_location_latitude_out_of_range_is_refused():
    location = make_location()
    location.latitude = 91
    with pytest.raises(ValidationError):
        location.full_clean()


# The database holds the same rules when model validation is bypassed.


def _valid_row(**kw) -> dict:
    row = {
        "group": make_group(),
        "location": make_location(),
        "name": "Step Study",
        "slug": f"step-study-{make_group().pk}",
        "day": 1,
        "start_time": dt.time(7),
        "end_time": dt.time(8),
        "timezone": "America/Chicago",
    }
    row.update(kw)
    return row


@pytest.mark.parametrize(
    "bad",
    [
        {"day": 7},
        {"attendance": "in_person", "location": None},
        {"attendance": "online", "location": None, "conference_url": "", "conference_phone": ""},
        {"attendance": "hybrid", "conference_url": "javascript:alert(1)"},
        {"attendance": "online", "location": None, "conference_url": "zoom.us/j/1"},
        {"status": "gone"},
        {"access": "maybe"},
        {"attendance": "carrier-pigeon"},
        {"slug": ""},
        {"timezone": ""},
    ],
    ids=lambda bad: ",".join(f"{k}={v}" for k, v in bad.items()),
)
def test_database_refuses_invalid_meetings_even_without_validation(bad):
    row = _valid_row(**bad)
    # PostgreSQL refuses a value longer than the column (attendance=carrier-pigeon) with
    # a DataError before any constraint is checked; SQLite has no lengths.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Meeting.objects.create(**row)


def test_database_accepts_a_valid_row():
    assert Meeting.objects.create(**_valid_row()).pk


@pytest.mark.parametrize(
    "field,value", [("latitude", 90.5), ("longitude", -181), ("latitude", None)]
)
def test_database_refuses_out_of_range_or_half_coordinates(field, value):
    location = make_location()
    setattr(location, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        location.save()


def test_location_keeps_its_unit_vector_in_step_with_its_coordinates():
    location = make_location(latitude=0, longitude=90)
    assert location.geo_x == pytest.approx(0, abs=1e-12)
    assert location.geo_y == pytest.approx(1)
    location.latitude, location.longitude = 90, 0
    location.save(update_fields=["latitude", "longitude"])
    location.refresh_from_db()
    assert location.geo_z == pytest.approx(1)


def test_public_meetings_hide_inactive_meetings_and_unapproved_groups():
    visible = make_meeting()
    make_meeting(status="inactive")
    make_meeting(group=make_group(status="pending"))
    assert list(Meeting.objects.public()) == [visible]


def test_spec_type_codes_are_unique_but_a_fellowship_may_reuse_one(spec_types):
    from meetings.models import MeetingType

    fellowship = make_group().fellowship
    MeetingType.objects.create(code="W", name="Workbook", fellowship=fellowship)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingType.objects.create(code="W", name="Women again")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingType.objects.create(code="W", name="Workbook again", fellowship=fellowship)


def test_a_meetings_type_ids_are_read_with_it(spec_types):
    """The cards' types come with their rows (with_type_ids), on SQLite and PostgreSQL."""
    typed = make_meeting(types=["W", "S", "O"])
    plain = make_meeting(day=2, types=[])
    read = dict(
        Meeting.objects.filter(pk__in=[typed.pk, plain.pk])
        .with_type_ids()
        .values_list("pk", "type_ids")
    )
    expected = set(
        MeetingType.objects.filter(code__in=["W", "S", "O"], fellowship=None).values_list(
            "pk", flat=True
        )
    )
    assert sorted(type_ids_of(read[typed.pk])) == sorted(expected)
    assert type_ids_of(read[plain.pk]) == []
