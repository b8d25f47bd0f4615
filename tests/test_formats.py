"""The readers' small helpers: days, times and addresses as real feeds write them."""

import datetime as dt

import pytest

from meetings.formats import (
    ImportedLocation,
    ImportedMeeting,
    attendance_of,
    is_conference_url,
    parse_day,
    parse_time,
    phone_digits,
    split_formatted_address,
)


@pytest.mark.parametrize(
    "value, day",
    [(0, 0), ("1", 1), (" 6 ", 6), ("Monday", 1), ("thu", 4), ("sábado", 6), ("Domingo", 0)],
)
def test_days_are_read_as_numbers_or_names(value, day):
    assert parse_day(value) == day


@pytest.mark.parametrize("value", [7, "-1", "Funday", "", None, True, 1.5])
def test_other_days_are_refused(value):
    with pytest.raises(ValueError):
        parse_day(value)


@pytest.mark.parametrize(
    "value, time",
    [
        ("19:00", dt.time(19)),
        ("7:05", dt.time(7, 5)),
        ("19:00:00", dt.time(19)),
        ("7:00 PM", dt.time(19)),
        ("7pm", dt.time(19)),
        ("12:30 a.m.", dt.time(0, 30)),
        ("noon", dt.time(12)),
        ("24:00", dt.time(0)),
        ("", None),
        (None, None),
    ],
)
def test_times_are_read_as_feeds_write_them(value, time):
    assert parse_time(value) == time


@pytest.mark.parametrize("value", ["25:00", "7", "13 pm", "19:60", "soon"])
def test_other_times_are_refused(value):
    with pytest.raises(ValueError):
        parse_time(value)


def test_a_formatted_address_splits_into_its_parts():
    assert split_formatted_address("4953 W Addison St, Chicago, IL 60641, USA") == {
        "address": "4953 W Addison St",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60641",
        "country": "US",
    }
    # Fewer than four parts: no street, the spec's "approximate".
    assert split_formatted_address("Los Angeles, CA")["address"] == ""
    assert split_formatted_address("Los Angeles, CA")["state"] == "CA"


def test_join_links_and_phones_are_recognised_as_the_apps_recognise_them():
    assert is_conference_url("https://us02web.zoom.us/j/123")
    assert is_conference_url("https://meet.google.com/abc-defg-hij")
    assert not is_conference_url("https://notzoom.us.example.org/j/1")
    assert not is_conference_url("zoom.us/j/123")
    assert phone_digits("+1 (646) 558-8656,,123456#") == 11


def test_a_meeting_with_no_door_and_no_way_to_join_is_inactive():
    record = ImportedMeeting(
        key="k",
        name="n",
        day=1,
        start_time=dt.time(7),
        location=ImportedLocation(city="Minneapolis", state="MN"),
    )
    assert attendance_of(record) == "inactive"
    record.conference_phone = "6465588656"
    assert attendance_of(record) == "online"
    record.location = ImportedLocation(address="1 Main St", city="Minneapolis")
    assert attendance_of(record) == "hybrid"
    record.types = ("TC",)
    assert attendance_of(record) == "online"
