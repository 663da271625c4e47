"""Outages a test can switch on: the database refusing every statement, a private Redis as the event queue."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import OperationalError, connection
from django.test import override_settings

from analytics.event_queue import queue_connection
from tests.private_redis import PrivateRedis, running_private_redis


def refuse(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@contextmanager
def database_down() -> Iterator[None]:
    """Every statement on this thread's connection fails as it does with PostgreSQL stopped.

    No statement reaches the database, so the test's transaction is intact afterwards,
    though Django marks it for rollback after a failed write.
    """
    with connection.execute_wrapper(refuse):
        yield
    connection.needs_rollback = False


def private_queue(directory: Path) -> Iterator[PrivateRedis]:
    """A Redis of the test's own as the cache and the event queue (append-only, as production runs it)."""
    for redis in running_private_redis(directory=directory, append_only=True):
        spool = directory / "spool"
        with override_settings(
            CACHES=redis.caches, QUEUE_REDIS_URL=redis.url, INGEST_QUEUE=True, EVENT_SPOOL_DIR=str(spool)
        ):
            queue_connection.forget()
            yield redis
        queue_connection.forget()
