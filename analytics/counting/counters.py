"""Derived counter rows: one way to key them, add a change to them, drop those that reach zero and insert new ones.

Every derived table — a day's totals (`DailyRollup`), a day's per-value counts
(`Breakdown`), an hour's (`HourlyRollup`, `HourlyBreakdown`), a period's running totals
(`PeriodTotal`) — is a set of counter rows keyed by a few columns. `add_counts` is the
one writer of all of them, with its PostgreSQL and SQLite forms side by side:

- rows that exist get the change added, found through the table's index, row by row;
- rows whose counts all fall to zero are deleted, as a count from scratch has no row;
- the others are inserted.

PostgreSQL does all three in one statement per table, each column one binary array
(`one_statement`); SQLite in an `UPDATE … FROM` a `VALUES` list per few hundred rows, a
`DELETE` and one prepared `INSERT` (`add_in_statements`). A write can be made ready
(`prepare_counts`: rows keyed, columns encoded) before the roll-up lock is taken and run
under it (`run_counts`); `add_counts` does both.

A value (a path can be 2,000 characters, more than a PostgreSQL index entry holds) is
found by its `value_key`, a 64-bit hash computed in Python, and compared in full too, so
two values sharing a key never mix. The caller holds the site's roll-up lock
(`lock_site`): rows are matched and then inserted, and two writers must not interleave.
"""

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.models import Model

from analytics.models import Site
from analytics.raw_writes import arrays_of, binding_cursor, columns_of, insert_many, is_postgresql, prepared_row

ROLLUP_LOCK = 0x676C696D  # "glim": the advisory-lock namespace of roll-ups
ROWS_PER_STATEMENT = 500  # SQLite: a few thousand parameters per statement, well under its limit
TOTAL_FIELDS = ("pageviews", "visitors", "sessions", "bounces", "duration")
VALUE_FIELDS = ("pageviews", "visitors", "visits")

# The changes find their rows one by one through the table's index on its key columns. Left to choose, PostgreSQL
# sometimes merge-joined a few thousand changes with every row of the site on the equal leading columns (moving a
# 262k-path site's periods a day on took 28 s instead of 0.1 s), or, on a table not analysed since it filled,
# scanned it once per change (a batch's period totals: 2.2 s instead of a few ms). The settings hold for this
# statement only.
ROW_BY_ROW = "SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_seqscan = off"
ANY_JOIN = (
    "SET LOCAL enable_mergejoin TO DEFAULT; SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT"
)
ROW_BY_ROW_IN_FORCE: ContextVar[bool] = ContextVar("row_by_row_in_force", default=False)


@contextlib.contextmanager
def row_by_row() -> Iterator[None]:
    """The planner settings of `ROW_BY_ROW` for the statements inside (PostgreSQL): one round trip to set them and
    one to reset them, however many counter writes run inside (a batch writes five tables). On an error the
    transaction, or its savepoint, is rolled back, and the settings with it."""
    if not is_postgresql() or ROW_BY_ROW_IN_FORCE.get():
        yield
        return
    with binding_cursor() as cursor:
        cursor.execute(ROW_BY_ROW)
    token = ROW_BY_ROW_IN_FORCE.set(True)
    try:
        yield
    finally:
        ROW_BY_ROW_IN_FORCE.reset(token)
    with binding_cursor() as cursor:
        cursor.execute(ANY_JOIN)


@functools.lru_cache(maxsize=1 << 16)
def value_key(value: str) -> int:
    """The signed 64-bit key every derived table finds a value's row by (cached: a batch keys each value of a day
    for its day, hour and period total rows)."""
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)


def lock_site(site: Site) -> None:
    """Serialise the writers of one site's counter rows (batches, the worker, a rebuild); SQLite has one writer."""
    lock_sites([site.pk])


class SiteDeleted(DatabaseError):
    """A site was deleted while a writer wrote its rows: the writer's transaction is rolled back (the ingest worker
    retries its batch, which then leaves that site's events out)."""


def lock_sites(site_ids: Sequence[int]) -> None:
    """`lock_site` for several sites in one statement, in id order (every writer takes them in that order), then
    check that they all still exist.

    The tables these writers fill keep no foreign-key constraint to the site (`analytics.models.hot_table_site`):
    this check stands in for it. Deleting a site takes its lock first (`lock_deleted_site`), so a site that exists
    now stays until this transaction ends, and one deleted meanwhile is seen gone: the check is a statement of its
    own, whose snapshot is taken after the locks were granted.
    """
    if not site_ids:
        return
    wanted = sorted(set(site_ids))
    take_rollup_locks(wanted)
    existing = set(Site.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if len(existing) < len(wanted):
        raise SiteDeleted(f"Sites {sorted(set(wanted) - existing)} were deleted while their rows were written")


def take_rollup_locks(site_ids: Sequence[int]) -> None:
    """The sites' roll-up locks (PostgreSQL advisory locks held to the end of the transaction), in id order."""
    if connection.vendor == "postgresql" and site_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, (site_id %% 2147483648)::integer)) "
                "FROM unnest(%s::bigint[]) AS site_id",
                [ROLLUP_LOCK, sorted(set(site_ids))],
            )


def lock_deleted_site(sender: type[Site], instance: Site, **kwargs: object) -> None:
    """Before a site is deleted (`pre_delete`, inside the deletion's transaction): wait for its writers, and keep
    new ones out until the deletion commits; they then find the site gone (`lock_sites`). The lock alone: a site
    another transaction deleted meanwhile is deleted again as a no-op, as Django deletes it."""
    take_rollup_locks([instance.pk])


@dataclass(frozen=True)
class Spread:
    """Changes given as rows of another shape, and the query that makes this table's changes of them (PostgreSQL):
    the period totals take a batch's day-value changes once, and the query makes them one change per value, each
    day's change in the columns of every period that counts its day. `fields`: the given rows' fields, as `model`
    has them; `select`: SQL over the CTE `given` yielding the written table's site, key and count columns, in that
    order, no row with every count zero."""

    model: type[Model]
    fields: tuple[str, ...]
    select: str


@dataclass(frozen=True)
class CounterWrite:
    """A change of one derived table made ready to run: on PostgreSQL its statement and encoded arrays, on SQLite
    its rows. A batch makes its writes ready before it takes the sites' roll-up locks, so two writers of the same
    sites wait for each other only while statements run."""

    model: type[Model]
    key_fields: tuple[str, ...]
    count_fields: tuple[str, ...]
    rows: list[tuple]
    fresh: bool = False
    statement: str | None = None
    arrays: list | None = None


def add_counts(
    model: type[Model],
    *,
    key_fields: Sequence[str],
    count_fields: Sequence[str],
    rows: Sequence[tuple],
    fresh: bool = False,
) -> None:
    """Add each row's counts (`rows`: the site's id, values of `key_fields`, then of `count_fields`) to the row of
    that site with those keys; drop rows that reach zero; insert rows for the keys not stored yet. Changes of zero
    are skipped. Rows of many sites go in the same statements. `fresh`: the caller emptied these rows (a rebuild),
    so every row is inserted."""
    run_counts(prepare_counts(model, key_fields=key_fields, count_fields=count_fields, rows=rows, fresh=fresh))


def prepare_counts(
    model: type[Model],
    *,
    key_fields: Sequence[str],
    count_fields: Sequence[str],
    rows: Sequence[tuple],
    fresh: bool = False,
    spread: Spread | None = None,
) -> CounterWrite | None:
    """`add_counts` made ready to run (`run_counts`); None when every change is zero. `spread` (PostgreSQL only):
    `rows` are of its fields, made into changes by its query."""
    key_fields = ("site", *key_fields)
    counted = -len(count_fields)
    changes = [row for row in rows if any(row[counted:])]
    if not changes:
        return None
    write = CounterWrite(model, key_fields, tuple(count_fields), changes, fresh)
    if spread is not None and not is_postgresql():
        raise ValueError("A spread of changes is written on PostgreSQL only")
    if fresh or not is_postgresql():
        return write
    statement, arrays = one_statement(
        model, key_fields=key_fields, count_fields=count_fields, rows=changes, spread=spread
    )
    return dataclasses.replace(write, statement=statement, arrays=arrays)


def run_counts(write: CounterWrite | None) -> None:
    """Run a write `prepare_counts` made ready; the caller holds the sites' roll-up locks."""
    if write is None:
        return
    if write.statement is not None:
        with row_by_row(), binding_cursor() as cursor:
            cursor.execute(write.statement, write.arrays)
    elif write.fresh:
        insert_many(write.model, fields=(*write.key_fields, *write.count_fields), rows=write.rows)
    else:
        add_in_statements(write.model, key_fields=write.key_fields, count_fields=write.count_fields, rows=write.rows)


def one_statement(
    model: type[Model],
    *,
    key_fields: Sequence[str],
    count_fields: Sequence[str],
    rows: Sequence[tuple],
    spread: Spread | None = None,
) -> tuple[str, list]:
    """PostgreSQL: every change in one statement, each column one binary array. Each change finds its row's id with
    an index look-up of its own (a subquery per change), then the row is deleted if every count reaches zero,
    updated otherwise, and inserted if none was found; no row comes back to Python.

    The look-ups are subqueries, not a join the planner could turn around: joined on the key columns, a table not
    analysed since it filled was scanned once per change (606 changes by 651 rows: 294 ms instead of 5)."""
    fields = (*key_fields, *count_fields)
    table = connection.ops.quote_name(model._meta.db_table)
    described = columns_of(model, fields)
    columns = [column for column, _ in described]
    keys, counts = columns[: len(key_fields)], columns[len(key_fields) :]
    if spread is None:
        placeholders, arrays = arrays_of(described, list(zip(*rows, strict=True)))
        changes = f"change ({', '.join(columns)}) AS (SELECT * FROM unnest({placeholders}))"
    else:
        given = columns_of(spread.model, spread.fields)
        placeholders, arrays = arrays_of(given, list(zip(*rows, strict=True)))
        changes = (
            f"given ({', '.join(column for column, _ in given)}) AS (SELECT * FROM unnest({placeholders})), "
            f"change ({', '.join(columns)}) AS ({spread.select})"
        )
    lookup = " AND ".join(f"found.{name} = change.{name}" for name in keys)
    emptied = " AND ".join(f"{table}.{name} + target.{name} = 0" for name in counts)
    found = f"{table}.id = target.found_id AND target.found_id IS NOT NULL"  # no look-up for a new row's NULL
    # Counts are never negative, so only a change with a negative count can bring a row to zero.
    lowering = " OR ".join(f"target.{name} < 0" for name in counts)
    statement = (
        f"WITH {changes}, "
        f"target AS MATERIALIZED (SELECT change.*, (SELECT found.id FROM {table} AS found WHERE {lookup} LIMIT 1) "
        "AS found_id FROM change), "
        f"emptied AS (DELETE FROM {table} USING target WHERE {found} AND ({lowering}) AND {emptied}), "
        f"added AS (UPDATE {table} SET {', '.join(f'{name} = {table}.{name} + target.{name}' for name in counts)} "
        f"FROM target WHERE {found} AND NOT ({emptied})) "
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM target WHERE found_id IS NULL"
    )
    return statement, arrays


def add_in_statements(
    model: type[Model], *, key_fields: Sequence[str], count_fields: Sequence[str], rows: Sequence[tuple]
) -> None:
    """SQLite: the changes added to the rows that exist (one `UPDATE … FROM` a `VALUES` list per few hundred
    changes), the rows that reached zero deleted, the others inserted."""
    width = len(key_fields)
    found = add_to_stored(model, key_fields=key_fields, count_fields=count_fields, rows=rows)
    emptied = [row[0] for row in found if not any(row[-len(count_fields) :])]
    for first in range(0, len(emptied), ROWS_PER_STATEMENT):
        model.objects.filter(id__in=emptied[first : first + ROWS_PER_STATEMENT]).delete()
    stored = {tuple(normalized(model, key_fields, row[1 : 1 + width])) for row in found}
    insert_many(
        model, fields=(*key_fields, *count_fields), rows=[row for row in rows if tuple(row[:width]) not in stored]
    )


def add_to_stored(
    model: type[Model],
    *,
    key_fields: Sequence[str],
    count_fields: Sequence[str],
    rows: Sequence[tuple],
) -> list[tuple]:
    """SQLite: add the counts to the rows that exist; returns `(id, *keys, *counts after)` of each row found."""
    fields = (*key_fields, *count_fields)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [column for column, _ in columns_of(model, fields)]
    sums = ", ".join(f"{name} = {table}.{name} + change.{name}" for name in columns[len(key_fields) :])
    matches = " AND ".join(f"{table}.{name} = change.{name}" for name in columns[: len(key_fields)])
    returned = ", ".join(f"{table}.{name}" for name in ("id", *columns))
    found = []
    prepared = [prepared_row(model, fields, row) for row in rows]
    for first in range(0, len(prepared), ROWS_PER_STATEMENT):
        chunk = prepared[first : first + ROWS_PER_STATEMENT]
        values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * len(chunk))
        statement = (
            f"WITH change ({', '.join(columns)}) AS (VALUES {values}) UPDATE {table} SET {sums} FROM change "
            f"WHERE {matches} RETURNING {returned}"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, [item for row in chunk for item in row])
            found += cursor.fetchall()
    return found


def normalized(model: type[Model], fields: Sequence[str], values: Sequence) -> list:
    """Key values as Python compares them, whether they came from the caller or back from the database (SQLite
    returns dates and times as text, times in UTC without a zone)."""
    result = []
    for name, value in zip(fields, values, strict=True):
        if isinstance(value, str) and name != "value":
            value = model._meta.get_field(name).to_python(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        result.append(value)
    return result
