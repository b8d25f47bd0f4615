"""Small database expressions that need a different spelling per backend."""

from django.db import models


class AWeekLater(models.Func):
    """A DateTimeField's value seven days later, with each backend's native arithmetic.

    Django's own ``F(...) + timedelta`` runs as a Python callback per row on SQLite."""

    output_field = models.DateTimeField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite stores an aware DateTimeField as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]';
        # datetime() writes the same form, so the two compare and sort as text.
        return self.as_sql(
            compiler, connection, template="datetime(%(expressions)s, '+7 days')", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s + interval '7 days')", **extra
        )


class EpochSeconds(models.Func):
    """A DateTimeField's value as whole seconds since 1970 (UTC): a plain integer, which
    the database driver hands over as it is, where a datetime is parsed and made aware
    row by row (1-2 ms for 500 rows)."""

    output_field = models.BigIntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",  # %% for the driver
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)",
            **extra,
        )


class LinkedIds(models.Func):
    """The ids a row links to through a many-to-many table, as text ("3,17,42", "" or
    None for none): a correlated subquery over the link table's index, so a list's links
    come with its rows instead of in a query of their own. ``through``: the link model;
    ``source`` and ``target``: its foreign keys to this row's model and to the other."""

    output_field = models.TextField()
    arity = 1
    template = "(SELECT group_concat(%(target)s) FROM %(table)s WHERE %(source)s = %(expressions)s)"

    def __init__(self, expression, *, through, source: str, target: str):
        def column(name):
            return through._meta.get_field(name).column

        super().__init__(
            expression, table=through._meta.db_table, source=column(source), target=column(target)
        )

    def as_sql(self, compiler, connection, **extra):
        quote = connection.ops.quote_name
        names = {name: quote(self.extra[name]) for name in ("table", "source", "target")}
        return super().as_sql(compiler, connection, **names, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "(SELECT string_agg(%(target)s::text, ',') FROM %(table)s "
            "WHERE %(source)s = %(expressions)s)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def refresh_planner_statistics(using: str = "default") -> None:
    """ANALYZE after a bulk load, on SQLite or PostgreSQL.

    Without statistics SQLite's planner takes an equality filter (fellowship = AA) to
    be more selective than the bounding box and reads every AA meeting in the country
    before keeping the nearby ones: 100 ms instead of 1 ms at 250,000 meetings.
    PostgreSQL's autovacuum gets there eventually; this gets there now."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("ANALYZE")


def refresh_meeting_statistics(connection) -> None:
    """ANALYZE the meetings after a migration changed their indexes, when there are
    any (a new database has nothing to count). SQLite keeps its planner's statistics
    per index: without a row for a new one it misjudges what the index holds and may
    read every in-person meeting in the country instead of a circle's bounding box
    (seconds, not milliseconds, at 250,000 meetings). PostgreSQL's are per column."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM meetings_meeting LIMIT 1")
        if cursor.fetchone() is not None:
            cursor.execute("ANALYZE meetings_meeting")
