"""How often and how recently each share token is used, without a database write per request.

Every successful use is noted in the serving process, which hands its notes on to a
counter in the cache about once a second (`sharing.local_uses`; on Redis one pipelined
round trip for all of them). The first hand-over of each minute, per token across every
process sharing the cache, moves the pending count into the token's row with one UPDATE;
`flush_token_usage` moves whatever is still pending (the `flush_token_usage` command runs
it for every token, the admin before showing the numbers). If the cache is unreachable,
uses are written straight to the row instead: exact, just not cheap.

Claiming a pending count is `decr` by what was read; a claim that drives the counter below
zero lost a race with another flusher and is handed back, so no use is counted twice.
"""

import atexit
import datetime as dt
import logging
from collections.abc import Iterable
from itertools import islice

from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from redis.exceptions import RedisError

from analytics.cache_counters import increment, redis_pipeline
from sharing.local_uses import NotedUse, local_uses
from sharing.models import ShareToken

logger = logging.getLogger("glimpse.usage")

KEY_VERSION = 2
LAST_USED_SECONDS = 7 * 24 * 3600
FLUSH_MARK_SECONDS = 120
BATCH_SIZE = 500
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def pending_key(token_id: int) -> str:
    return f"share-usage:v{KEY_VERSION}:{token_id}:pending"


def last_used_key(token_id: int) -> str:
    return f"share-usage:v{KEY_VERSION}:{token_id}:last"


def flush_mark_key(token_id: int, now: dt.datetime) -> str:
    """One mark per token and clock minute: whoever adds it first does that minute's write."""
    return f"share-usage:v{KEY_VERSION}:{token_id}:flushed:{int(now.timestamp()) // 60}"


def record_token_use(share_token: ShareToken, *, now: dt.datetime) -> None:
    """Count one successful use (an API answer or a share page view) of `share_token` at `now`.

    The use is noted in this process first and reaches the cache with the next hand-over
    (`sharing.local_uses`), which costs no round trip on most requests.
    """
    if local_uses.note(share_token.pk, now=now):
        hand_over_local_uses(now=now)
    else:
        local_uses.hand_over_later(_hand_over_in_background)


def hand_over_local_uses(*, now: dt.datetime) -> None:
    """Move the uses this process noted into the cache; tokens seeing their first hand-over this minute are written."""
    noted = local_uses.take(now=now)
    if not noted:
        return
    try:
        first_this_minute = _count_in_cache(noted, now=now)
        for token_id, use in noted.items():
            if first_this_minute[token_id] is None:
                _add_to_row(token_id, uses=use.count, last_used_at=use.last_used_at)
        starting = [token_id for token_id, first in first_this_minute.items() if first]
        if starting:
            _write_pending(starting, now=now)
    except DatabaseError:
        logger.warning("Could not record uses of share tokens %s", sorted(noted), exc_info=True)


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


def _count_in_cache(noted: dict[int, NotedUse], *, now: dt.datetime) -> dict[int, bool | None]:
    """Add the noted uses to the cache's pending counts.

    Returns, per token, whether this is its first hand-over this minute, or None when the cache could not count it.
    On Redis every write goes in one pipelined round trip.
    """
    pipelined = redis_pipeline()
    if pipelined is None:
        first_this_minute: dict[int, bool | None] = {}
        for token_id, use in noted.items():
            cache.set(last_used_key(token_id), microseconds(use.last_used_at), timeout=LAST_USED_SECONDS)
            if increment(pending_key(token_id), use.count) is None:
                first_this_minute[token_id] = None
            else:
                first_this_minute[token_id] = cache.add(flush_mark_key(token_id, now), 1, timeout=FLUSH_MARK_SECONDS)
        return first_this_minute
    pipeline, key = pipelined
    for token_id, use in noted.items():
        pipeline.set(key(last_used_key(token_id)), microseconds(use.last_used_at), ex=LAST_USED_SECONDS)
        pipeline.incrby(key(pending_key(token_id)), use.count)
        pipeline.set(key(flush_mark_key(token_id, now)), 1, nx=True, ex=FLUSH_MARK_SECONDS)
    try:
        results = pipeline.execute()
    except RedisError:
        logger.warning("Cache unreachable: writing uses of share tokens %s straight to the database", sorted(noted))
        return dict.fromkeys(noted)
    return {token_id: bool(results[index * 3 + 2]) for index, token_id in enumerate(noted)}


def flush_token_usage(*, token_ids: Iterable[int] | None = None, now: dt.datetime) -> int:
    """Write pending uses to the rows of `token_ids` (default: every token); returns how many uses were written.

    Uses still noted in this process are handed over first; other processes hand theirs
    over within about a second.
    """
    hand_over_local_uses(now=now)
    ids = ShareToken.objects.values_list("pk", flat=True) if token_ids is None else token_ids
    return _write_pending(ids, now=now)


def _write_pending(token_ids: Iterable[int], *, now: dt.datetime) -> int:
    ids = iter(token_ids)
    written = 0
    while batch := list(islice(ids, BATCH_SIZE)):
        pending = cache.get_many([pending_key(token_id) for token_id in batch]) or {}
        last_used = cache.get_many([last_used_key(token_id) for token_id in batch]) or {}
        for token_id in batch:
            uses = _claim(pending_key(token_id), pending.get(pending_key(token_id)) or 0)
            if uses:
                stamp = last_used.get(last_used_key(token_id))
                when = EPOCH + stamp * MICROSECOND if stamp else now
                _add_to_row(token_id, uses=uses, last_used_at=when)
                written += uses
    return written


def microseconds(moment: dt.datetime) -> int:
    """A time as whole microseconds since 1970: an integer the cache can store and compare exactly."""
    return (moment - EPOCH) // MICROSECOND


def _claim(key: str, seen: int) -> int:
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


def _add_to_row(token_id: int, *, uses: int, last_used_at: dt.datetime) -> None:
    when = Value(last_used_at, output_field=DateTimeField())
    ShareToken.objects.filter(pk=token_id).update(
        use_count=F("use_count") + uses,
        last_used_at=Greatest(Coalesce("last_used_at", when), when),
    )
