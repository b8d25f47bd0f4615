"""Importing the field's formats: Meeting Guide feeds, BMLT and TSML CSV sheets, into
one transaction that can be repeated without changing anything."""

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from directory.models import Fellowship, Group, Location
from meetings.formats import FormatError, parse
from meetings.importing import ImportFailed, _Importer, meetings_import
from meetings.models import Meeting, MeetingType
from tests.conftest import SHARED_DATA, make_place, needs_shared_data
from tests.local_http import serving

pytestmark = pytest.mark.django_db

DATA = SHARED_DATA
MINNEAPOLIS = DATA / "aa-minneapolis-2018.meeting-guide.json"
NEW_YORK = DATA / "na-greater-new-york-2018.bmlt.json"


@pytest.fixture
def reference(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


def feed_row(slug="morning-serenity", **kw) -> dict:
    """A Meeting Guide row as real feeds write it (strings for numbers)."""
    row = {
        "name": "Morning Serenity",
        "slug": slug,
        "day": "1",
        "time": "07:00",
        "end_time": "",
        "types": ["O", "D", "X"],
        "location": "St. Mark's Church",
        "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
        "latitude": "44.9695",
        "longitude": "-93.2836",
        "timezone": "America/Chicago",
        "notes": "Use the side door.",
    }
    row.update(kw)
    return row


def run(rows, fellowship, *, source="test-feed", fmt="meeting-guide", **kw):
    content = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
    return meetings_import(records=parse(content, fmt), fellowship=fellowship, source=source, **kw)


def counts() -> dict:
    return {
        "meetings": Meeting.objects.count(),
        "groups": Group.objects.count(),
        "locations": Location.objects.count(),
        "types": MeetingType.objects.count(),
        "meeting history": Meeting.history.count(),
        "group history": Group.history.count(),
        "location history": Location.history.count(),
        "links": Meeting.types.through.objects.count(),
    }


# The real feeds --------------------------------------------------------------------


@needs_shared_data
def test_the_minneapolis_feed_imports_with_its_counts_and_values(reference):
    out = io.StringIO()
    call_command(
        "import_meetings",
        str(MINNEAPOLIS),
        format="meeting-guide",
        fellowship="aa",
        type_map=["HE="],
        stdout=out,
    )
    text = out.getvalue()
    assert re.search(r"created +1,048\n", text)
    assert re.search(r"skipped +0\n", text)
    assert "MW ×870, HE ×605, STEP ×232, BB ×210, TO ×160, CC ×15, AP ×6" in text
    assert Meeting.objects.count() == 1048
    # 357 venues in the feed, of which 8 pairs are one door spelt twice ("Ave"/"Avenue"),
    # and 4 rows at an address listed before that name or describe it otherwise ("Meets
    # in the basement"): places of their own, so each meeting says where it meets.
    assert Location.objects.count() == 353
    meeting = Meeting.objects.get(slug="sahara-sunrise-1st-step")
    assert (meeting.day, meeting.start_time, meeting.end_time) == (
        1,
        dt.time(6, 30),
        dt.time(7, 30),
    )
    assert meeting.location.formatted_address == "3408 Dakota Ave S, St Louis Park, MN 55416, USA"
    assert meeting.location.name == "Sahara Club"
    assert meeting.timezone == "America/Chicago"  # from the coordinates: the feed has none
    assert meeting.access == "open"
    assert meeting.attendance == "in_person"
    assert meeting.status == "active"
    assert {(t.code, t.fellowship_id is None) for t in meeting.types.all()} == {
        ("HE", False),
        ("MW", False),
        ("STEP", False),
    }
    assert meeting.group.name == "Sahara Sunrise 1st Step"
    history = meeting.history.get()
    assert history.history_change_reason == f"import {MINNEAPOLIS.resolve()}"
    assert {t.meetingtype.code for t in history.types.all()} == {"HE", "MW", "STEP"}


@needs_shared_data
def test_the_minneapolis_feed_means_hebrew_by_he_unless_told_otherwise(reference):
    summary = run(MINNEAPOLIS.read_bytes(), reference)
    assert "HE" not in summary.unknown_types  # the spec's HE is Hebrew
    meeting = Meeting.objects.get(slug="sahara-sunrise-1st-step")
    assert MeetingType.objects.get(code="HE", fellowship=None) in meeting.types.all()


@needs_shared_data
def test_a_minneapolis_address_without_coordinates_is_placed_at_its_zip_code(reference):
    make_place(code="55350", city="Hutchinson", lat=44.89, lng=-94.37)
    run(MINNEAPOLIS.read_bytes(), reference, type_map={"HE": ""})
    location = Meeting.objects.get(slug="steps-and-traditions-group").location
    assert (location.latitude, location.longitude) == (44.89, -94.37)
    # The door itself is not known yet: geocode_pending will try again.
    assert location.needs_geocoding is True
    assert location.approximate is False
    assert location.geo_z is not None


@needs_shared_data
def test_the_new_york_bmlt_export_imports_with_venues_and_end_times(reference):
    summary = run(NEW_YORK.read_bytes(), Fellowship.objects.get(slug="na"), fmt="bmlt")
    assert (summary.read, summary.created, len(summary.skipped)) == (1555, 1513, 42)
    assert {reason for _slug, reason in summary.skipped} == {"not published"}
    assert summary.not_attendable == 8  # no street address and no way to join
    assert summary.unknown_types["RF"] == 372  # Rotating Format: no world id
    meeting = Meeting.objects.get(source_key="2")
    assert meeting.name == "Nothing Macho"
    assert (meeting.day, meeting.start_time, meeting.end_time) == (
        6,
        dt.time(14, 0),
        dt.time(15, 30),
    )
    location = meeting.location
    assert location.name == "North Central Bronx Hospital, Room 14B07"
    assert location.formatted_address == "3424 Kossuth Ave., New York, NY 10467, USA"
    assert location.directions == "@210th St"
    assert (location.region, location.sub_region) == ("Bronx", "Norwood")
    assert meeting.timezone == "America/New_York"
    assert meeting.access == "open"
    assert {t.code for t in meeting.types.all()} == {"M", "ST"}
    rotating = MeetingType.objects.get(code="RF")
    assert (rotating.fellowship.slug, rotating.name) == ("na", "Rotating Format")


# Repeating, changing, retiring ------------------------------------------------------


def test_importing_the_same_feed_twice_changes_nothing(reference):
    rows = [feed_row(), feed_row("evening-hope", name="Evening Hope", time="19:30")]
    run(rows, reference)
    before = counts()
    stamps = list(Meeting.objects.order_by("id").values_list("updated", flat=True))
    summary = run(rows, reference)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    assert counts() == before
    assert list(Meeting.objects.order_by("id").values_list("updated", flat=True)) == stamps


def test_a_changed_row_updates_its_meeting_and_the_history_says_why(reference):
    run([feed_row(), feed_row("evening-hope", name="Evening Hope")], reference)
    meeting = Meeting.objects.get(slug="morning-serenity")
    summary = run(
        [feed_row(time="07:30", types=["C", "W"]), feed_row("evening-hope", name="Evening Hope")],
        reference,
    )
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(7, 30)
    assert meeting.access == "closed"
    assert {t.code for t in meeting.types.all()} == {"W"}
    latest = meeting.history.latest()
    assert (latest.history_type, latest.history_change_reason) == ("~", "import test-feed")
    assert {t.meetingtype.code for t in latest.types.all()} == {"W"}
    assert {t.meetingtype.code for t in meeting.history.earliest().types.all()} == {"D", "X"}


def test_deactivate_missing_retires_what_the_source_no_longer_gives(reference):
    run([feed_row(), feed_row("evening-hope", name="Evening Hope")], reference)
    other = run([feed_row("elsewhere")], reference, source="another-feed")
    assert other.created == 1

    kept = run([feed_row()], reference)
    assert kept.deactivated == 0
    assert Meeting.objects.get(slug="evening-hope").status == "active"

    summary = run([feed_row()], reference, deactivate_missing=True)
    assert summary.deactivated == 1
    gone = Meeting.objects.get(slug="evening-hope")
    assert gone.status == "inactive"  # kept, never deleted
    assert gone.history.latest().history_change_reason == "import test-feed"
    assert Meeting.objects.get(source="another-feed").status == "active"
    # Back in the feed, it comes back.
    again = run([feed_row(), feed_row("evening-hope", name="Evening Hope")], reference)
    assert again.updated == 1
    assert Meeting.objects.get(slug="evening-hope").status == "active"


def test_deactivate_missing_refuses_an_empty_source(reference):
    run([feed_row()], reference)
    with pytest.raises(ImportFailed):
        run([], reference, deactivate_missing=True)
    assert Meeting.objects.get().status == "active"


def test_a_failure_midway_leaves_the_database_as_it_was(reference, monkeypatch):
    run([feed_row()], reference)
    before = counts()
    write_meetings = _Importer._write_meetings

    def fail_after_writing(self):
        write_meetings(self)  # groups, locations, meetings and history all written...
        raise RuntimeError("disk full")  # ...then the import fails

    monkeypatch.setattr(_Importer, "_write_meetings", fail_after_writing)
    rows = [feed_row(time="08:00", types=["C"]), feed_row("new-one", name="New One", types=["ZZ"])]
    with pytest.raises(RuntimeError):
        run(rows, reference)
    assert counts() == before
    assert Meeting.objects.get().start_time == dt.time(7, 0)


def test_a_dry_run_reports_the_same_and_writes_nothing(reference):
    rows = [feed_row(), feed_row("new-one", name="New One", types=["ZZ"])]
    before = counts()
    dry = run(rows, reference, dry_run=True)
    assert counts() == before
    real = run(rows, reference)
    assert (dry.created, dry.new_groups, dry.new_locations, dry.new_types) == (
        real.created,
        real.new_groups,
        real.new_locations,
        real.new_types,
    )
    assert dry.unknown_types == real.unknown_types


# Rows the spec's consumers would skip or question -----------------------------------


def test_bad_rows_are_skipped_with_their_slug_and_reason_and_the_rest_applies(reference):
    rows = [
        feed_row(),
        feed_row("morning-serenity", name="Same slug again"),
        feed_row(""),
        feed_row("no-day", day=None, time=""),
        feed_row("bad-day", day="9"),
        feed_row("bad-time", time="25:99"),
        feed_row("nowhere", formatted_address="", latitude="", longitude=""),
    ]
    summary = run(rows, reference)
    assert summary.created == 1
    reasons = dict(summary.skipped)
    assert reasons["morning-serenity"] == "slug already seen in this source"
    assert reasons["row 3 (Morning Serenity)"] == "no slug"
    assert reasons["no-day"] == "no day or time (meetings by appointment are not listed)"
    assert reasons["bad-day"] == "day '9' is not 0-6 or a day's name"
    assert reasons["bad-time"] == "time '25:99' is not HH:MM"
    assert reasons["nowhere"] == "no address and no way to join online"


def test_contradictory_types_are_dropped_but_the_meeting_is_kept(reference):
    summary = run([feed_row(types=["O", "C", "M", "W", "D"])], reference)
    meeting = Meeting.objects.get()
    assert meeting.access == ""
    assert {t.code for t in meeting.types.all()} == {"D"}
    assert ("morning-serenity", "both open and closed (O+C): neither kept") in summary.adjusted
    assert ("morning-serenity", "both men and women (M+W): neither kept") in summary.adjusted


def test_unknown_types_become_the_fellowships_own_and_are_counted(reference):
    rows = [feed_row(types=["O", "BB", "HE"]), feed_row("two", name="Two", types=["BB"])]
    summary = run(rows, reference, type_map={"HE": ""})
    assert summary.unknown_types == {"BB": 2, "HE": 1}
    assert summary.new_types == 2
    own = MeetingType.objects.filter(fellowship=reference)
    assert sorted(own.values_list("code", flat=True)) == ["BB", "HE"]
    assert {t.code for t in Meeting.objects.get(slug="two").types.all()} == {"BB"}


def test_a_day_array_becomes_one_meeting_per_day(reference):
    run([feed_row(day=[1, "3", 5])], reference)
    assert sorted(Meeting.objects.values_list("day", "slug")) == [
        (1, "morning-serenity-mon"),
        (3, "morning-serenity-wed"),
        (5, "morning-serenity-fri"),
    ]
    assert Location.objects.count() == 1
    assert Group.objects.get().name == "Morning Serenity"


def test_attendance_is_derived_as_the_consumers_derive_it(reference):
    zoom = "https://us02web.zoom.us/j/123"
    rows = [
        feed_row("in-person"),
        feed_row("hybrid", conference_url=zoom),
        feed_row(
            "online",
            conference_phone="+1 646 558 8656,,123#",
            formatted_address="Minneapolis, MN, USA",
        ),
        feed_row("closed-now", types=["TC"], conference_url=zoom),
        feed_row(
            "unknown-link",
            formatted_address="Minneapolis, MN, USA",
            conference_url="https://example.org/room",
        ),
        feed_row(
            "said-online", attendance_option="online", conference_url="https://example.org/room"
        ),
    ]
    summary = run(rows, reference)
    got = {m.slug: (m.attendance, m.status) for m in Meeting.objects.all()}
    assert got == {
        "in-person": ("in_person", "active"),
        "hybrid": ("hybrid", "active"),
        "online": ("online", "active"),
        "closed-now": ("online", "tc"),
        "unknown-link": ("online", "inactive"),  # no recognised way to join, no door
        "said-online": ("online", "active"),  # the source said so, with a link
    }
    assert summary.not_attendable == 1
    # Wheelchair access means nothing on an online-only meeting.
    assert not Meeting.objects.get(slug="online").types.filter(code="X").exists()


def test_an_address_already_listed_is_reused_and_a_taken_slug_is_made_unique(reference):
    run([feed_row()], reference, source="first")
    summary = run(
        [
            feed_row(
                formatted_address="519 Oak Grove Street, Minneapolis, MN 55403, USA",
                latitude="44.96951",
            )
        ],
        reference,
        source="second",
    )
    assert summary.new_locations == 0
    assert Location.objects.count() == 1
    assert sorted(Meeting.objects.values_list("slug", flat=True)) == [
        "morning-serenity",
        "morning-serenity-2",
    ]


def test_a_source_finds_places_far_from_its_others_and_numbers_past_taken_slugs(reference):
    # An import reads only the places its rows can be at (around its points, and for a
    # row without a point every place in its state) and only the slugs it may want.
    duluth = "1 Main St, Duluth, MN 55802, USA"
    run(
        [
            feed_row(),
            feed_row(slug="morning-serenity-2", name="Noon Serenity", time="12:00"),
            feed_row(slug="duluth", formatted_address=duluth, latitude="46.78", longitude="-92.10"),
        ],
        reference,
        source="first",
    )
    summary = run(
        [
            feed_row(latitude="44.96952"),
            feed_row(
                slug="harbor",
                name="Harbor Group",
                formatted_address="1 Main Street, Duluth, MN 55802, USA",
                latitude="",
                longitude="",
            ),
        ],
        reference,
        source="second",
    )
    assert summary.created == 2
    assert summary.new_locations == 0
    assert Location.objects.count() == 2
    harbor = Meeting.objects.get(slug="harbor")
    assert harbor.location == Meeting.objects.get(slug="duluth").location
    assert Meeting.objects.get(source="second", name="Morning Serenity").slug == (
        "morning-serenity-3"
    )


def test_a_source_spread_over_distant_towns_finds_its_places_in_each(reference):
    # An import reads the places around each town its points are in (not the box
    # spanning them all), and for a row without a point those with its postal code.
    duluth = "1 Main St, Duluth, MN 55802-1234, USA"
    rochester = "5 Elm St, Rochester, MN 55901, USA"
    run(
        [
            feed_row(),
            feed_row(slug="duluth", formatted_address=duluth, latitude="46.78", longitude="-92.10"),
            feed_row(
                slug="rochester", formatted_address=rochester, latitude="44.02", longitude="-92.47"
            ),
        ],
        reference,
        source="first",
    )
    summary = run(
        [
            feed_row(slug="city", latitude="44.96952"),
            feed_row(
                slug="harbor",
                formatted_address="1 Main Street, Duluth, MN 55802, USA",
                latitude="",
                longitude="",
            ),
            feed_row(
                slug="clinic",
                formatted_address="5 Elm Street, Rochester, MN 55901, USA",
                latitude="44.02001",
                longitude="-92.47001",
            ),
        ],
        reference,
        source="second",
    )
    assert summary.new_locations == 0
    assert Location.objects.count() == 3
    for first, second in (("morning-serenity", "city"), ("duluth", "harbor")):
        assert (
            Meeting.objects.get(slug=first).location_id
            == Meeting.objects.get(source="second", source_key__startswith=second).location_id
        )


def test_a_group_is_found_by_its_name_in_any_case_and_across_sources(reference):
    run([feed_row(group="Serenity Seekers")], reference, source="first")
    run([feed_row(group="SERENITY  seekers")], reference, source="first")
    run([feed_row(slug="other", group="Serenity Seekers")], reference, source="second")
    assert Group.objects.count() == 1
    assert Meeting.objects.filter(group__name="Serenity Seekers").count() == 2


def test_the_time_zone_comes_from_the_zip_code_when_there_is_no_point(reference):
    make_place(
        code="59001", city="Absarokee", state="MT", lat=45.52, lng=-109.44, tz="America/Denver"
    )
    row = feed_row(
        formatted_address="1 Main St, Absarokee, MT 59001, USA",
        latitude="",
        longitude="",
        timezone="",
    )
    run([row], reference)
    meeting = Meeting.objects.get()
    assert meeting.timezone == "America/Denver"
    assert meeting.location.latitude == 45.52


# BMLT and CSV --------------------------------------------------------------------------


def bmlt_meeting(**kw) -> dict:
    """A meeting as a BMLT server's GetSearchResults answers it: strings, 1 = Sunday."""
    row = {
        "id_bigint": "501",
        "meeting_name": "Just For Today",
        "weekday_tinyint": "2",
        "start_time": "19:00:00",
        "duration_time": "01:30:00",
        "venue_type": "1",
        "time_zone": "America/New_York",
        "formats": "O,WC,JT",
        "format_shared_id_list": "",
        "latitude": "40.7420",
        "longitude": "-73.9890",
        "location_text": "Church of the Holy Apostles",
        "location_street": "296 9th Ave",
        "location_municipality": "New York",
        "location_province": "NY",
        "location_postal_code_1": "10001",
        "location_nation": "USA",
        "location_info": "Basement",
        "comments": "",
        "virtual_meeting_link": "",
        "phone_meeting_number": "",
        "virtual_meeting_additional_info": "",
        "published": "1",
    }
    row.update(kw)
    return row


def test_a_bmlt_server_answer_counts_weekdays_from_sunday_as_one(reference):
    na = Fellowship.objects.get(slug="na")
    rows = [
        bmlt_meeting(),
        bmlt_meeting(
            id_bigint="502",
            weekday_tinyint="1",
            venue_type="2",
            formats="O,VM",
            location_street="",
            virtual_meeting_link="https://zoom.us/j/555",
            virtual_meeting_additional_info="Passcode 1234",
        ),
    ]
    summary = run(rows, na, fmt="bmlt")
    assert summary.created == 2
    in_person = Meeting.objects.get(source_key="501")
    assert (in_person.day, in_person.start_time, in_person.end_time) == (
        1,
        dt.time(19),
        dt.time(20, 30),
    )
    assert {t.code for t in in_person.types.all()} == {"X", "JT"}  # WC is WCHR: X
    assert in_person.access == "open"
    online = Meeting.objects.get(source_key="502")
    assert (online.day, online.attendance) == (0, "online")
    assert online.conference_url_notes == "Passcode 1234"


def test_a_bmlt_answer_with_its_format_table_maps_through_world_ids(reference):
    na = Fellowship.objects.get(slug="na")
    data = {
        "meetings": [bmlt_meeting(formats="X1,X2,X3", format_shared_id_list="7,8,9")],
        "formats": [
            {"id": "7", "key_string": "X1", "name_string": "Beginners", "world_id": "BEG"},
            {"id": "8", "key_string": "X2", "name_string": "Hybrid", "world_id": "HYBR"},
            {"id": "9", "key_string": "X3", "name_string": "Pitch", "world_id": ""},
        ],
    }
    run(json.dumps(data).encode(), na, fmt="bmlt")
    meeting = Meeting.objects.get()
    assert {t.code for t in meeting.types.all()} == {"BE", "X3"}
    assert MeetingType.objects.get(code="X3").name == "Pitch"
    assert meeting.day == 1


TSML_CSV = (
    "Time,End Time,Day,Name,Location,Address,City,State,Postal Code,Country,Region,"
    "Sub Region,Types,Notes,Location Notes,Conference URL,Conference URL Notes,"
    "Conference Phone,Conference Phone Notes,Group,Group Notes,Slug,Updated\n"
    "7:00 PM,8:00 PM,Monday,Monday Night Big Book,St. Mark's,519 Oak Grove St,Minneapolis,"
    'MN,55403,US,Loring Park,,"Open, Big Book, Wheelchair Access",Bring a book.,Side door,'
    ",,,,Loring Group,Since 1970,monday-night-big-book,2024-01-01\n"
    '19:30,,lunes,Grupo Esperanza,Iglesia,600 Lake St,Minneapolis,MN,55408,US,,,"C, S",'
    ",,,,,,,,,\n"
    "8 pm,,Caturday,Bad Day,Iglesia,600 Lake St,Minneapolis,MN,55408,US,,,,,,,,,,,,bad-day,\n"
)


def test_a_tsml_csv_sheet_imports_with_day_names_and_type_names(reference):
    make_place(code="55403", lat=44.97, lng=-93.28)  # no coordinates in the sheet
    make_place(code="55408", lat=44.95, lng=-93.29)
    summary = run(TSML_CSV.encode(), reference, fmt="csv")
    assert summary.created == 2
    assert dict(summary.skipped) == {"bad-day": "day 'Caturday' is not a day's name"}
    first = Meeting.objects.get(slug="monday-night-big-book")
    assert (first.day, first.start_time, first.end_time) == (1, dt.time(19), dt.time(20))
    assert first.access == "open"
    assert {t.code for t in first.types.all()} == {"B", "X"}
    assert (first.group.name, first.group.description) == ("Loring Group", "Since 1970")
    assert first.location.directions == "Side door"
    spanish = Meeting.objects.get(name="Grupo Esperanza")
    assert (spanish.day, spanish.start_time, spanish.access) == (1, dt.time(19, 30), "closed")
    assert {t.code for t in spanish.types.all()} == {"S"}
    # Without a Slug column value, the row is keyed by what it is: re-importing updates.
    assert run(TSML_CSV.encode(), reference, fmt="csv").unchanged == 2


def test_a_csv_without_the_templates_columns_is_refused():
    with pytest.raises(FormatError, match="Day, Name, Time"):
        parse(b"Meeting,When\nx,y\n", "csv")


# The command -------------------------------------------------------------------------


def test_the_command_refuses_what_it_cannot_read_and_writes_nothing(reference, tmp_path):
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps([feed_row()]))
    with pytest.raises(CommandError, match="cannot be read as bmlt"):
        call_command("import_meetings", str(feed), format="bmlt", fellowship="aa")
    with pytest.raises(CommandError, match="No fellowship 'zz'"):
        call_command("import_meetings", str(feed), format="meeting-guide", fellowship="zz")
    with pytest.raises(CommandError, match="Could not read"):
        call_command(
            "import_meetings", str(tmp_path / "missing.json"), format="csv", fellowship="aa"
        )
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(CommandError, match="not JSON"):
        call_command(
            "import_meetings",
            str(tmp_path / "broken.json"),
            format="meeting-guide",
            fellowship="aa",
        )
    assert Meeting.objects.count() == 0


def test_the_command_imports_from_an_http_url(reference):
    body = json.dumps([feed_row()]).encode()

    def respond(path, headers):
        if path == "/feed.json":
            return 200, "application/json", body
        return 404, "text/plain", b"not here"

    with serving(respond) as (base, seen):
        out = io.StringIO()
        call_command(
            "import_meetings",
            f"{base}/feed.json",
            format="meeting-guide",
            fellowship="aa",
            stdout=out,
        )
        with pytest.raises(CommandError, match="HTTP 404"):
            call_command(
                "import_meetings", f"{base}/gone.json", format="meeting-guide", fellowship="aa"
            )
    assert re.search(r"created +1\n", out.getvalue())
    assert Meeting.objects.get().source == f"{base}/feed.json"
    assert seen[0][1]["User-Agent"].startswith("RecoveryMap/")


def test_the_command_dry_run_says_so(reference, tmp_path):
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps([feed_row()]))
    out = io.StringIO()
    call_command(
        "import_meetings",
        str(feed),
        format="meeting-guide",
        fellowship="aa",
        dry_run=True,
        stdout=out,
    )
    assert out.getvalue().startswith("Dry run: nothing written.")
    assert Meeting.objects.count() == 0


def test_rows_at_one_address_that_name_or_describe_it_otherwise_keep_their_own_words(reference):
    run(
        [
            feed_row("plain"),
            feed_row("basement", day="3", location_notes="Meets in the basement"),
            feed_row("other-spelling", day="5", location="St Mark's Church"),
            feed_row("same", day="6"),
        ],
        reference,
    )
    where = {
        m.source_key: (m.location.name, m.location.directions)
        for m in Meeting.objects.select_related("location")
    }
    assert where == {
        "plain": ("St. Mark's Church", ""),
        "basement": ("St. Mark's Church", "Meets in the basement"),
        "other-spelling": ("St Mark's Church", ""),
        "same": ("St. Mark's Church", ""),
    }
    assert Location.objects.count() == 3
    # Imported again, each row finds its own place.
    summary = run([feed_row("later", day="2", location_notes="Meets in the basement")], reference)
    assert summary.new_locations == 0
