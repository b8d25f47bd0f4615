"""Each meeting keeps its place's map cell (Meeting.cell), the index of "starting soon
within a few miles": whichever way a meeting or its place is written, the cell follows,
and the cells around a point hold every meeting within reach of it."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from directory.models import Location
from directory.services import location_update_for_organizer
from meetings.models import Meeting
from recoverymap.lib.geo import (
    Point,
    bounding_box,
    cells_around,
    great_circle_miles,
    map_cell,
)
from tests.conftest import (
    FEED_ROW,
    import_feed,
    make_fellowship,
    make_group,
    make_location,
    make_meeting,
    make_organizer,
)

pytestmark = pytest.mark.django_db

MINNEAPOLIS = (44.97, -93.26)
DULUTH = (46.78, -92.1)


def _cells() -> dict[str, int | None]:
    return dict(Meeting.objects.values_list("name", "cell"))


def test_a_saved_meeting_has_its_places_cell_and_an_online_one_none():
    make_meeting(
        name="Room", location=make_location(latitude=MINNEAPOLIS[0], longitude=MINNEAPOLIS[1])
    )
    make_meeting(name="Zoom", attendance="online", conference_url="https://zoom.us/j/1")
    assert _cells() == {"Room": map_cell(*MINNEAPOLIS), "Zoom": None}


def test_the_cell_follows_a_place_that_moves_and_a_meeting_that_moves():
    place = make_location(latitude=MINNEAPOLIS[0], longitude=MINNEAPOLIS[1])
    make_meeting(name="Room", location=place)
    place.latitude, place.longitude = DULUTH  # the geocoder placed it better
    place.save()
    assert _cells() == {"Room": map_cell(*DULUTH)}
    place.name = "Hall"
    place.save(update_fields=["name"])  # a move is the only thing that changes cells
    meeting = Meeting.objects.get()
    meeting.location = make_location(latitude=MINNEAPOLIS[0], longitude=MINNEAPOLIS[1])
    meeting.save(update_fields=["location"])
    assert _cells() == {"Room": map_cell(*MINNEAPOLIS)}


def test_an_organizers_own_copy_of_a_shared_place_takes_their_meetings_cells_with_it():
    shared = make_location(latitude=MINNEAPOLIS[0], longitude=MINNEAPOLIS[1])
    mine = make_group(name="Mine")
    make_meeting(name="Mine", group=mine, location=shared)
    make_meeting(name="Theirs", location=shared)
    edited = Location.objects.get(pk=shared.pk)
    edited.latitude, edited.longitude = DULUTH
    location_update_for_organizer(location=edited, by=make_organizer(mine))
    assert _cells() == {"Mine": map_cell(*DULUTH), "Theirs": map_cell(*MINNEAPOLIS)}


def test_an_import_writes_cells_and_moves_them_with_a_meeting():
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    aa = make_fellowship(slug="test-aa")
    row = {**FEED_ROW, "latitude": str(MINNEAPOLIS[0]), "longitude": str(MINNEAPOLIS[1])}

    def run(rows):
        import_feed(rows, aa)

    run([row])
    assert _cells() == {"Morning Serenity": map_cell(*MINNEAPOLIS)}
    moved = {
        **row,
        "location": "Duluth Hall",
        "formatted_address": "1 Superior St, Duluth, MN 55802, USA",
        "latitude": str(DULUTH[0]),
        "longitude": str(DULUTH[1]),
    }
    run([moved])
    assert _cells() == {"Morning Serenity": map_cell(*DULUTH)}


def test_a_seeded_demo_has_every_meetings_cell():
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    call_command("load_places", verbosity=0)
    call_command("seed_demo", "--meetings", "200", "--seed", "3", verbosity=0)
    rows = Meeting.objects.values_list("cell", "location__latitude", "location__longitude")
    assert rows and all(cell == map_cell(lat, lng) for cell, lat, lng in rows)


def test_refresh_next_starts_all_mends_cells_written_around_the_model():
    make_meeting(name="Room", location=make_location(latitude=DULUTH[0], longitude=DULUTH[1]))
    Meeting.objects.update(cell=1)  # a raw write
    out = io.StringIO()
    call_command("refresh_next_starts", "--all", stdout=out)
    assert "the map cell of 1 in" in out.getvalue()
    assert _cells() == {"Room": map_cell(*DULUTH)}
    assert Meeting.objects.refresh_cells() == 0


def test_the_cells_around_a_point_hold_every_point_within_reach():
    rng = random.Random(25)
    for _ in range(3000):
        lat, lng = rng.uniform(-80, 80), rng.uniform(-180, 180)
        miles = rng.choice([1, 10, 25, 100])
        around = set(cells_around(lat, lng, miles))
        south, north, west, east = bounding_box(lat, lng, miles)
        for _ in range(5):
            other = rng.uniform(south, north), (rng.uniform(west, east) + 180) % 360 - 180
            if great_circle_miles(lat, lng, *other) <= miles:
                assert map_cell(*other) in around, (lat, lng, miles, other)
    # Across the antimeridian: Attu Island's neighbours on either side.
    assert map_cell(52.9, -179.9) in cells_around(52.9, 179.95, 10)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL costs a plan by the statistics of real data, not a test's empty table "
    "(bench/search.py measures the window queries there)",
)
def test_starting_soon_within_a_place_is_a_range_of_each_cells_starts():
    point = Point(MINNEAPOLIS[0], MINNEAPOLIS[1], "Minneapolis, MN", "America/Chicago")
    window = Meeting.objects.near(point, 25, by_cell=True).starting_within(timezone.now(), 1)
    assert "meeting_cell_next_idx" in window.explain()
