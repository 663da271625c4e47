"""Many rows in one statement on PostgreSQL: one array per column, unnested, instead of one parameter per value.

Django's `bulk_create` prepares every field of every model instance in Python and psycopg
then converts thousands of parameters: for a batch of 1,000 pageviews that was most of the
batch's time. Here each column travels as one array (`unnest(%b::bigint[], …)`), so the
statement has as many parameters as columns whatever the number of rows. The arrays go
in binary on a server-binding cursor (`binding_cursor`): Django's own cursors bind on the
client, which writes every array out as escaped text, four times slower for a batch.
Each column is encoded here, not by psycopg (`analytics.binary_arrays`, `arrays_of`).
SQLite has no arrays: callers keep the ORM there (`is_postgresql`).
"""

import functools
import weakref
from collections.abc import Sequence
from typing import TypeVar

from django.db import connection
from django.db.models import Model
from psycopg import Cursor

from analytics import binary_arrays

M = TypeVar("M", bound=Model)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def build(model: type[M], **values) -> M:
    """A new instance from the values of every field but the id, by attribute name (`site_id`, not `site`).

    Positional arguments are `Model.__init__`'s fast path: no related-object setter, no
    database router per foreign key. A batch builds one per new session.
    """
    return model(None, *(values[attname] for attname in attnames_after_id(model)))


@functools.cache
def attnames_after_id(model: type[Model]) -> tuple[str, ...]:
    fields = model._meta.concrete_fields
    assert fields[0].primary_key
    return tuple(field.attname for field in fields[1:])


ARRAYS_REGISTERED: "weakref.WeakSet" = weakref.WeakSet()  # psycopg connections that can send encoded arrays


def binding_cursor() -> Cursor:
    """A psycopg cursor on Django's connection (and so in its transaction) that binds parameters on the server."""
    connection.ensure_connection()
    raw = connection.connection
    if raw not in ARRAYS_REGISTERED:
        binary_arrays.register(raw)
        ARRAYS_REGISTERED.add(raw)
    return Cursor(raw)


def columns_of(model: type[Model], fields: Sequence[str]) -> list[tuple[str, str]]:
    """(quoted column, array type) of each field."""
    return described_columns(connection.vendor, model, tuple(fields))


@functools.cache
def described_columns(vendor: str, model: type[Model], fields: tuple[str, ...]) -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    found = [model._meta.get_field(name) for name in fields]
    return [(quote(field.column), f"{field.db_type(connection)}[]") for field in found]


def arrays_of(described: Sequence[tuple[str, str]], columns: Sequence[Sequence]) -> tuple[str, list]:
    """The placeholders (`%b::bigint[], …`) and the encoded arrays of `columns` (one sequence per column of
    `described`, as `columns_of` gives them), for a `binding_cursor`."""
    placeholders = ", ".join(f"%b::{array_type}" for _, array_type in described)
    arrays = [
        binary_arrays.binary_array(values, db_type=array_type[:-2])
        for (_, array_type), values in zip(described, columns, strict=True)
    ]
    return placeholders, arrays


def columns_from(objects: Sequence[Model], *, fields: Sequence[str]) -> list[list]:
    """One list per field of the objects' values, as `insert_rows` and `update_rows` take them."""
    if not objects:
        return [[] for _ in fields]
    meta = objects[0]._meta
    return [[getattr(item, attname) for item in objects] for attname in (meta.get_field(f).attname for f in fields)]


def insert_rows(model: type[Model], *, fields: Sequence[str], columns: Sequence[list]) -> list[int]:
    """Insert one row per position of the `columns` (one list per field, in `fields` order); their new ids, in order.

    The ids come back sorted: the sequence hands them out in the order `unnest` yields the
    rows, which is the order of the lists, whatever order `RETURNING` reports them in.
    """
    if not columns or not columns[0]:
        return []
    described = columns_of(model, fields)
    names = ", ".join(column for column, _ in described)
    placeholders, arrays = arrays_of(described, columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with binding_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({placeholders}) RETURNING id", arrays, binary=True
        )
        return sorted(row[0] for row in cursor.fetchall())


def update_rows(model: type[Model], *, ids: list[int], fields: Sequence[str], columns: Sequence[list]) -> None:
    """Set `fields` of the rows `ids` to the values at the same position of `columns` (one list per field)."""
    if not ids:
        return
    described = columns_of(model, ["id", *fields])
    names = ", ".join(column for column, _ in described)
    placeholders, arrays = arrays_of(described, [ids, *columns])
    assignments = ", ".join(f"{column} = changed.{column}" for column, _ in described[1:])
    table = connection.ops.quote_name(model._meta.db_table)
    with binding_cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM unnest({placeholders}) AS changed ({names}) "
            f"WHERE {table}.id = changed.id",
            arrays,
        )


def insert_many(model: type[Model], *, fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (values of `fields`, by field name): one array-bound INSERT on PostgreSQL, one prepared
    statement run for every row on SQLite."""
    if not rows:
        return
    if is_postgresql():
        insert_rows(model, fields=fields, columns=[list(column) for column in zip(*rows, strict=True)])
        return
    columns = ", ".join(column for column, _ in columns_of(model, fields))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
            [prepared_row(model, fields, row) for row in rows],
        )


def prepared_row(model: type[Model], fields: Sequence[str], row: tuple) -> tuple:
    """The row's values as the database takes them (SQLite: dates and times as text)."""
    return tuple(
        model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)
        for name, value in zip(fields, row, strict=True)
    )
