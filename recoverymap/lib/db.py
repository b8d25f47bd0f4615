"""Small database expressions that need a different spelling per backend."""

from django.db import models


class MinuteOfDay(models.Func):
    """Minutes since midnight of a TimeField, with each backend's native functions.

    Django's ExtractHour/ExtractMinute run as Python callbacks on SQLite, one call per
    row; sorting thousands of meetings soonest-first is several times faster natively.
    """

    output_field = models.IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite stores a TimeField as text, 'HH:MM:SS[.ffffff]'.
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(substr(%(expressions)s, 1, 2) AS INTEGER) * 60"
            " + CAST(substr(%(expressions)s, 4, 2) AS INTEGER))",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(HOUR FROM %(expressions)s) * 60"
            " + EXTRACT(MINUTE FROM %(expressions)s))::integer",
            **extra,
        )


def refresh_planner_statistics(using: str = "default") -> None:
    """ANALYZE after a bulk load, on SQLite or PostgreSQL.

    Without statistics SQLite's planner takes an equality filter (fellowship = AA) to
    be more selective than the bounding box and reads every AA meeting in the country
    before keeping the nearby ones: 100 ms instead of 1 ms at 250,000 meetings.
    PostgreSQL's autovacuum gets there eventually; this gets there now."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("ANALYZE")
