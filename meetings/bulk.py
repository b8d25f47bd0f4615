"""Bulk SQL for large writes: INSERTs of many rows in as few statements as the database
takes (the importer writes 100,000 meetings with these), and reads by id in batches."""

from collections.abc import Callable

from django.db import connections, router
from django.utils import timezone
from psycopg import sql as psycopg_sql

# Rows per INSERT/UPDATE, and ids per IN (...) list: inside every database's limits.
BATCH = 500


def insert_objects(model, objs: list) -> None:
    """INSERT unsaved ``objs`` and set their primary keys: what ``bulk_create`` does,
    without its SQL compiler's per-value work, which costs several times the database's
    own on 100,000 meetings. Fields with auto_now/auto_now_add get the current time."""
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    # Every column but an auto-incremented primary key, which the database returns.
    fields = [f for f in model._meta.concrete_fields if not getattr(f, "db_returning", False)]
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    now = timezone.now()
    preparers = [preparer(f, connection) for f in fields]
    names = [f.attname for f in fields]
    rows = []
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
        rows.append(
            [prepare(getattr(obj, name)) for prepare, name in zip(preparers, names, strict=True)]
        )
    pks = insert_rows(model, names, rows, returning=True)
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


# Fields whose database value is the Python value itself when it has the right type.
_PLAIN_FIELDS = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "URLField": str,
    "EmailField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "ForeignKey": int,
    "FloatField": float,
    "BooleanField": bool,
}


def preparer(field, connection) -> Callable:
    """A function giving ``field``'s database value for a Python value, as
    ``get_db_prep_save`` does: values already of the plain type pass through; others
    (times, dates) are prepared once per distinct value."""
    plain = _PLAIN_FIELDS.get(field.get_internal_type())
    cache = {}

    def prepare(value):
        if value is None or (plain is not None and type(value) is plain):
            return value
        try:
            return cache[value]
        except KeyError:
            cache[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # not hashable
            return field.get_db_prep_save(value, connection)

    return prepare


def insert_rows(model, names: list[str], rows: list, *, returning: bool = False) -> list:
    """INSERT ``rows`` (sequences of database-ready values for the fields whose attnames
    are ``names``) into ``model``'s table, as many per statement as the database takes;
    the new primary keys, in order, when ``returning`` (SQLite 3.35+ and PostgreSQL
    return them, as bulk_create relies on)."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        return _copy_rows(connection, model, names, rows, returning=returning)
    qn = connection.ops.quote_name
    meta = model._meta
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    columns = ", ".join(qn(column_of[name]) for name in names)
    per_statement = max(1, min(500, _params_limit(connection) // len(names)))
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    suffix = f" RETURNING {qn(meta.pk.column)}" if returning else ""
    pks = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "
                + ", ".join([placeholder] * len(chunk))
                + suffix
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                pks.extend(pk for (pk,) in cursor.fetchall())
    return pks


def _copy_rows(connection, model, names: list[str], rows: list, *, returning: bool) -> list:
    """PostgreSQL: the rows by COPY, with primary keys drawn from the table's sequence
    beforehand when they are wanted. A multi-row INSERT's thousands of placeholders
    cost psycopg more to rewrite than the database to run (two thirds of a national
    sync's first run)."""
    meta = model._meta
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    columns = [column_of[name] for name in names]
    pks = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            pks = sorted(pk for (pk,) in cursor.fetchall())
            columns = [meta.pk.column, *columns]
            rows = ([pk, *row] for pk, row in zip(pks, rows, strict=True))
        statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(meta.db_table),
            psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, columns)),
        )
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    return pks


def update_objects(model, objs: list, names: list[str]) -> None:
    """UPDATE the fields ``names`` (attnames) of saved ``objs``, one statement run for
    all rows (``executemany``): what ``bulk_update`` does, without its CASE WHEN per
    field and row, which takes seconds for a few hundred meetings on SQLite."""
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    preparers = [preparer(f, connection) for f in fields]
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"
    rows = [
        [prepare(getattr(obj, f.attname)) for prepare, f in zip(preparers, fields, strict=True)]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 10):
            cursor.executemany(sql, rows[start : start + BATCH * 10])


def _params_limit(connection) -> int:
    """Parameters one statement may carry: SQLite's own limit when it says (32,766
    since 3.32; Django assumes the old 999), else Django's figure for the database."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def in_batches(queryset, ids) -> list:
    ids = list(ids)
    result = []
    for i in range(0, len(ids), BATCH):
        result.extend(queryset.filter(pk__in=ids[i : i + BATCH]))
    return result
