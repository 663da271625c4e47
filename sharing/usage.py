"""How often and how recently each share token is used, without a database write per request.

Every successful use is noted in the serving process, which hands its notes to the
database about once a second (`sharing.local_uses`): one UPDATE (per 250 tokens) adds each count
and moves its last-used time forward, however many uses and tokens it carries. A hand-over
that fails (database unreachable, a deadlock with another process) is given back and goes
with the next one, so nothing is dropped on the way.

Why the database and not a shared counter in the cache: the row is the only place a use
count survives everything. Counts pending in Redis vanished with a Redis restart unless
Redis was set up to persist (it is a cache here and need not be), and with the in-process
cache they died with the worker. Now a restart of Redis touches no count, and a worker
killed without warning loses only what it noted since its last hand-over, about a second.
The price is one small UPDATE a second per busy process instead of one a minute per busy
link (`bench/usage` measures it); a cached hit still costs no extra round trip, since
only the request that finds a hand-over due (about one a second per process) writes.

Versions before this one kept counts pending in the cache under `share-usage:v2:*` keys;
`flush_token_usage` still moves any it finds, so an upgrade loses none.
"""

import atexit
import datetime as dt
import logging
from collections.abc import Iterable
from itertools import islice

from django.core.cache import cache
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from analytics.monitoring import USE_COUNT_FLUSHES
from config.logging_filters import one_line
from sharing.local_uses import NotedUse, local_uses
from sharing.models import ShareToken

logger = logging.getLogger("glimpse.usage")

BATCH_SIZE = 250
LEGACY_KEY_VERSION = 2
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def record_token_use(share_token: ShareToken, *, now: dt.datetime) -> None:
    """Count one successful use (an API answer or a share page view) of `share_token` at `now`.

    The use is noted in this process first and reaches the database with the next hand-over
    (`sharing.local_uses`), which costs no round trip on most requests.
    """
    if local_uses.note(share_token.pk, now=now):
        hand_over_local_uses(now=now)
    else:
        local_uses.hand_over_later(_hand_over_in_background)


def hand_over_local_uses(*, now: dt.datetime) -> int:
    """Write the uses this process noted to their tokens' rows; returns how many were written.

    One UPDATE per `BATCH_SIZE` tokens, in id order so that processes writing the same rows lock them alike.
    What cannot be written is given back to `local_uses` for the next hand-over.
    """
    noted = local_uses.take(now=now)
    token_ids = iter(sorted(noted))
    written = 0
    while ids := list(islice(token_ids, BATCH_SIZE)):
        batch = {token_id: noted[token_id] for token_id in ids}
        try:
            _write(batch)
        except DatabaseError as error:
            # An outage is expected here and says all in its message: one line (collapsed while it lasts), no traceback.
            logger.warning(
                "Could not write uses of share tokens %s; kept for the next hand-over: %s", ids, one_line(error)
            )
            local_uses.give_back(batch)
            USE_COUNT_FLUSHES.labels(outcome="failed").inc()
        else:
            written += sum(use.count for use in batch.values())
            USE_COUNT_FLUSHES.labels(outcome="written").inc()
    return written


def _write(noted: dict[int, NotedUse]) -> None:
    if connection.in_atomic_block:
        # A savepoint, so a failed write leaves the caller's transaction usable.
        with transaction.atomic():
            _add_to_rows(noted)
    else:
        _add_to_rows(noted)


def _add_to_rows(noted: dict[int, NotedUse]) -> None:
    """Add each token's count to its row and move its last-used time forward (never back), in one UPDATE.

    Written as SQL rather than a `Case` per row: the ORM took 60 ms to build and run that for 100 tokens
    (quadratic in the database too), this takes about 2 ms. PostgreSQL and SQLite (3.33 and later) both read it.
    """
    table = connection.ops.quote_name(ShareToken._meta.db_table)
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    rows = ", ".join(["(%s, %s, %s)"] * len(noted))
    params = []
    for token_id, use in noted.items():
        params += [token_id, use.count, connection.ops.adapt_datetimefield_value(use.last_used_at)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH noted (id, uses, last_used_at) AS (VALUES {rows}) "
            f"UPDATE {table} SET use_count = {table}.use_count + noted.uses, "
            f"last_used_at = {greatest}(COALESCE({table}.last_used_at, noted.last_used_at), noted.last_used_at) "
            f"FROM noted WHERE {table}.id = noted.id",
            params,
        )


def _hand_over_in_background() -> None:
    try:
        hand_over_local_uses(now=timezone.now())
    finally:
        connections.close_all()


def _hand_over_at_exit() -> None:
    try:
        hand_over_local_uses(now=timezone.now())
    except Exception:
        logger.warning("Could not hand over the last share token uses at exit", exc_info=True)


atexit.register(_hand_over_at_exit)


def flush_token_usage(*, token_ids: Iterable[int] | None = None, now: dt.datetime) -> int:
    """Write the uses this process still holds, and counts an earlier version left in the cache for `token_ids`
    (default: every token); returns how many uses were written.

    Other processes hand theirs over within about a second.
    """
    written = hand_over_local_uses(now=now)
    ids = ShareToken.objects.values_list("pk", flat=True) if token_ids is None else token_ids
    return written + _move_counts_left_in_cache(ids, now=now)


def legacy_pending_key(token_id: int) -> str:
    return f"share-usage:v{LEGACY_KEY_VERSION}:{token_id}:pending"


def legacy_last_used_key(token_id: int) -> str:
    return f"share-usage:v{LEGACY_KEY_VERSION}:{token_id}:last"


def _move_counts_left_in_cache(token_ids: Iterable[int], *, now: dt.datetime) -> int:
    """Counts that versions keeping them in the cache left there, written to the rows; every process may run this."""
    ids = iter(token_ids)
    written = 0
    while batch := list(islice(ids, 500)):
        pending = cache.get_many([legacy_pending_key(token_id) for token_id in batch]) or {}
        if not pending:
            continue
        last_used = cache.get_many([legacy_last_used_key(token_id) for token_id in batch]) or {}
        for token_id in batch:
            uses = _claim(legacy_pending_key(token_id), pending.get(legacy_pending_key(token_id)) or 0)
            if uses:
                stamp = last_used.get(legacy_last_used_key(token_id))
                when = EPOCH + stamp * MICROSECOND if stamp else now
                _write({token_id: NotedUse(count=uses, last_used_at=when)})
                written += uses
    return written


def _claim(key: str, seen: int) -> int:
    """Take `seen` uses off a pending counter; a claim driving it below zero lost a race and is handed back."""
    if seen <= 0:
        return 0
    try:
        left = cache.decr(key, seen)
    except ValueError:
        return 0
    if left is None:
        return 0
    if left < 0:
        cache.incr(key, seen)
        return 0
    return seen
