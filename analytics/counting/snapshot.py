"""One answer, one committed state: all the reads that build it see the database as of one moment.

A day period's answer reads its period's first day, its day rows and five lists in
separate statements. Read one by one, a batch or a worker pass committing between two of
them gives an answer that is neither the state before nor the state after (a day that
left the period subtracted twice, a list from before next to totals from after), and
the stats cache then serves it for minutes. Inside `read_snapshot` every statement sees
the same snapshot:

- PostgreSQL: one `REPEATABLE READ, READ ONLY` transaction (works through a pooler in
  transaction mode: nothing outlives it);
- SQLite (WAL): one deferred transaction, whose snapshot is taken at its first read and
  which takes no write lock, so writers go on meanwhile.

Nested uses share the outermost snapshot; inside a transaction the caller opened (a
test, a writer reading back what it wrote) that transaction is the snapshot.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

DEPTH_ATTRIBUTE = "glimpse_snapshot_depth"


@contextmanager
def read_snapshot(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    depth = getattr(connection, DEPTH_ATTRIBUTE, 0)
    if depth or connection.in_atomic_block:
        setattr(connection, DEPTH_ATTRIBUTE, depth + 1)
        try:
            yield
        finally:
            setattr(connection, DEPTH_ATTRIBUTE, depth)
        return
    setattr(connection, DEPTH_ATTRIBUTE, 1)
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic(using=using):
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield
        else:
            with deferred_sqlite_transaction(connection):
                yield
    finally:
        setattr(connection, DEPTH_ATTRIBUTE, 0)


@contextmanager
def deferred_sqlite_transaction(connection) -> Iterator[None]:
    """BEGIN DEFERRED by hand: Django's `atomic` would BEGIN IMMEDIATE (the project's SQLite mode) and so take
    the write lock for the length of a read."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    except BaseException:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
        raise
    with connection.cursor() as cursor:
        cursor.execute("COMMIT")
