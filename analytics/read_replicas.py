"""Where statistics are read: a PostgreSQL streaming replica when one is close enough behind, else the primary.

Only statistics go to a replica, and only inside `statistics_reads()`: a replica may be
seconds behind, which a chart can afford and a security decision cannot. Share tokens, their
revocation, passwords and use counts, sites, the admin and every write stay on the primary
(`ReplicaRouter` sends only the statistics tables of `analytics` to a replica), so a link
revoked a moment ago is refused on the very next request however far a replica lags.

A replica more than `REPLICA_MAX_LAG_SECONDS` behind, or one that does not answer, is skipped;
with none usable, statistics are read from the primary and the log says so once per interval
(`config.log_repeats`). Each process measures a replica's lag at most once a second.

The alias is chosen once when `statistics_reads()` is entered and kept until it is left, so a
reader that opens one transaction for an answer opens it on `statistics_alias()` and every
statement of that answer reads one database in one snapshot.

An owner who just changed something in the admin reads from the primary for a while
(`pinned_to_primary`, set by `config.read_pinning`), so they see their change at once.
"""

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from analytics.process_state import register_reset

logger = logging.getLogger("glimpse.replicas")

REPLICA_PREFIX = "replica"
CHECK_EVERY_SECONDS = 1.0
# Read on the replica: bytes received and replayed are equal when it has everything the primary sent,
# however long ago the last transaction was (an idle primary is not lag).
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)
# Tables whose rows are never statistics: kept on the primary even inside `statistics_reads()`.
PRIMARY_ONLY_MODELS = {"site", "visitorsalt", "passlease"}

_statistics_alias: ContextVar[str | None] = ContextVar("statistics_alias", default=None)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def replica_lag_seconds(alias: str) -> float:
    """How far `alias` is behind its primary; raises `DatabaseError` when it does not answer."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("SELECT 1")  # no replication to measure: answering is all
            return 0.0
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


class ReplicaLags:
    """Each replica's last measured lag (None: unreachable), measured again once `CHECK_EVERY_SECONDS` passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._measured: dict[str, tuple[float, float | None]] = {}

    def lag(self, alias: str) -> float | None:
        with self._lock:
            measured = self._measured.get(alias)
            if measured is not None and time.monotonic() - measured[0] < CHECK_EVERY_SECONDS:
                return measured[1]
        try:
            lag = replica_lag_seconds(alias)
        except DatabaseError:
            lag = None
            connections[alias].close()
        with self._lock:
            self._measured[alias] = (time.monotonic(), lag)
        return lag

    def forget(self) -> None:
        with self._lock:
            self._measured.clear()


replica_lags = ReplicaLags()
register_reset("replica-lags", replica_lags.forget)


def usable_replicas() -> list[str]:
    limit = settings.REPLICA_MAX_LAG_SECONDS
    return [alias for alias in replica_aliases() if (lag := replica_lags.lag(alias)) is not None and lag <= limit]


def choose_statistics_alias() -> str:
    """A usable replica (any one: they share the load), or the primary when pinned or when none is usable."""
    replicas = replica_aliases()
    if not replicas or _pinned.get():
        return DEFAULT_DB_ALIAS
    usable = usable_replicas()
    if not usable:
        logger.warning(
            "No read replica is usable (unreachable or more than %s s behind): statistics are read from the primary",
            settings.REPLICA_MAX_LAG_SECONDS,
        )
        return DEFAULT_DB_ALIAS
    return random.choice(usable)


def statistics_alias() -> str:
    """The database the statistics being read now come from: the one chosen by the enclosing
    `statistics_reads()`, or the primary outside one."""
    return _statistics_alias.get() or DEFAULT_DB_ALIAS


@contextmanager
def statistics_reads() -> Iterator[str]:
    """Read the statistics tables from one chosen database (yielded) until the block ends; nested blocks keep it."""
    if _statistics_alias.get() is not None:
        yield _statistics_alias.get()
        return
    token = _statistics_alias.set(choose_statistics_alias())
    try:
        yield _statistics_alias.get()
    finally:
        _statistics_alias.reset(token)


@contextmanager
def pinned_to_primary(pinned: bool = True) -> Iterator[None]:
    """Statistics read within the block come from the primary (an owner's reads right after their own write)."""
    token = _pinned.set(pinned)
    try:
        yield
    finally:
        _pinned.reset(token)


class ReplicaRouter:
    """Statistics inside `statistics_reads()` from the chosen database; everything else on the primary."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label == "analytics" and model._meta.model_name not in PRIMARY_ONLY_MODELS:
            return statistics_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
