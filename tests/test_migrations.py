"""Migrations that change an index leave the planner able to use it well on a database
that already holds meetings."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import make_meeting

BEFORE = ("meetings", "0011_source_index_precedence_fingerprint")
ONLINE_INDEX = ("meetings", "0012_online_index_in_start_then_id_order")


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
        # Statistics of one test meeting would steer the planner in the tests after
        # this one (a scan looks cheapest): drop them, as a new test database has none.
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
