"""How often and how recently each share token is used, without a database write per request.

Every successful use adds one to a counter in the cache and notes the time. The first use
in each minute (per token, per process sharing the cache) moves the pending count into the
token's row with one UPDATE; `flush_token_usage` moves whatever is still pending (the
`flush_token_usage` command runs it for every token, the admin before showing the numbers).
If the cache is unreachable, each use is written straight to the row instead: exact, just
not cheap.

Claiming a pending count is `decr` by what was read; a claim that drives the counter below
zero lost a race with another flusher and is handed back, so no use is counted twice.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from itertools import islice

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest

from sharing.models import ShareToken

logger = logging.getLogger("glimpse.usage")

KEY_VERSION = 1
LAST_USED_SECONDS = 7 * 24 * 3600
FLUSH_MARK_SECONDS = 120
BATCH_SIZE = 500


def pending_key(token_id: int) -> str:
    return f"share-usage:v{KEY_VERSION}:{token_id}:pending"


def last_used_key(token_id: int) -> str:
    return f"share-usage:v{KEY_VERSION}:{token_id}:last"


def flush_mark_key(token_id: int, now: dt.datetime) -> str:
    """One mark per token and clock minute: whoever adds it first does that minute's write."""
    return f"share-usage:v{KEY_VERSION}:{token_id}:flushed:{int(now.timestamp()) // 60}"


def record_token_use(share_token: ShareToken, *, now: dt.datetime) -> None:
    """Count one successful use (an API answer or a share page view) of `share_token` at `now`."""
    try:
        cache.set(last_used_key(share_token.pk), now.timestamp(), timeout=LAST_USED_SECONDS)
        if _increment(pending_key(share_token.pk)) is None:
            _add_to_row(share_token.pk, uses=1, last_used_at=now)
        elif cache.add(flush_mark_key(share_token.pk, now), 1, timeout=FLUSH_MARK_SECONDS):
            flush_token_usage(token_ids=[share_token.pk], now=now)
    except DatabaseError:
        logger.warning("Could not record a use of share token %s", share_token.pk, exc_info=True)


def flush_token_usage(*, token_ids: Iterable[int] | None = None, now: dt.datetime) -> int:
    """Write pending uses to the rows of `token_ids` (default: every token); returns how many uses were written."""
    ids = iter(ShareToken.objects.values_list("pk", flat=True) if token_ids is None else token_ids)
    written = 0
    while batch := list(islice(ids, BATCH_SIZE)):
        pending = cache.get_many([pending_key(token_id) for token_id in batch]) or {}
        last_used = cache.get_many([last_used_key(token_id) for token_id in batch]) or {}
        for token_id in batch:
            uses = _claim(pending_key(token_id), pending.get(pending_key(token_id)) or 0)
            if uses:
                timestamp = last_used.get(last_used_key(token_id))
                when = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC) if timestamp else now
                _add_to_row(token_id, uses=uses, last_used_at=when)
                written += uses
    return written


def _increment(key: str) -> int | None:
    """The counter's new value, or None when the cache cannot count (unreachable).

    One round trip in the usual case: the counter is created only when `incr` finds none.
    """
    try:
        return cache.incr(key)
    except ValueError:
        cache.add(key, 0, timeout=None)
    try:
        return cache.incr(key)
    except ValueError:
        return None


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
