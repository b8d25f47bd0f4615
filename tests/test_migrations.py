"""Migrations that change an index leave the planner able to use it well on a database
that already holds meetings."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from meetings.models import Meeting, ProblemReport
from recoverymap.lib.geo import map_cell
from tests.conftest import make_location, make_meeting

BEFORE = ("meetings", "0011_source_index_precedence_fingerprint")
ONLINE_INDEX = ("meetings", "0012_online_index_in_start_then_id_order")
CELLS = ("meetings", "0013_meeting_cell")
FLAGS = ("meetings", "0014_meeting_reported_gone")


def _to_the_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _statistics(index: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite keeps planner statistics per index; PostgreSQL's are per column",
)
def test_the_new_online_index_has_planner_statistics_once_migrated():
    """Without a row in sqlite_stat1 for a new index, SQLite takes "attendance = in
    person" to be selective and reads every in-person meeting in the country rather than
    the circle's bounding box: a search took 19 s at 250,000 meetings."""
    make_meeting()
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'meeting_online_next_idx'")
    assert _statistics("meeting_online_next_idx") == []
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([ONLINE_INDEX])

        assert _statistics("meeting_online_next_idx")
    finally:
        _to_the_latest()
        # Statistics of one test meeting would steer the planner in the tests after
        # this one (a scan looks cheapest): drop them, as a new test database has none.
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")


@pytest.mark.django_db(transaction=True)
def test_the_map_cells_of_meetings_already_listed_are_filled_in():
    near = make_meeting(location=make_location(latitude=44.97, longitude=-93.26))
    far = make_meeting(location=make_location(latitude=21.3, longitude=-157.85))
    online = make_meeting(attendance="online", conference_url="https://zoom.us/j/1")
    executor = MigrationExecutor(connection)
    executor.migrate([ONLINE_INDEX])  # before the cells
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([CELLS])
        cells = dict(Meeting.objects.values_list("pk", "cell"))
        assert cells == {
            near.pk: map_cell(44.97, -93.26),
            far.pk: map_cell(21.3, -157.85),
            online.pk: None,
        }
    finally:
        _to_the_latest()
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TABLE IF EXISTS sqlite_stat1"
            ) if connection.vendor == "sqlite" else None


@pytest.mark.django_db(transaction=True)
def test_meetings_already_reported_gone_are_flagged():
    flagged, other = make_meeting(), make_meeting(day=2)
    for key in "abc":
        ProblemReport.objects.create(meeting=flagged, category="gone", client_key=key)
    ProblemReport.objects.create(meeting=other, category="gone", client_key="a")
    executor = MigrationExecutor(connection)
    executor.migrate([CELLS])  # before the flag was stored
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([FLAGS])
        flags = dict(Meeting.objects.values_list("pk", "reported_gone"))
        assert flags == {flagged.pk: True, other.pk: False}
    finally:
        _to_the_latest()
