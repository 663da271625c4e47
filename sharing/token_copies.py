"""Share tokens kept in the cache for a database outage: a link that answered a moment ago keeps answering.

Every public read looks its token up in PostgreSQL first, and while the database answers
that lookup is the only truth. Each token found active is also copied into the cache
(at most once a minute per token and process), with its site, for `TOKEN_COPY_SECONDS`.
Only when the lookup fails with a database error does a reader use the copy, still
checked against its own revocation and expiry times at that moment; the statistics then
come from the stats cache as usual, so a link keeps serving what is cached through the
outage instead of answering 500.

Every change to a token's access (revoke, rotate, edit, expiry, deletion, its site's
deletion) replaces its copy, once the change commits, with a tombstone kept as long as a
copy lives, and a copy is only ever added where the key is empty (`cache.add`): a reader
that looked the token up just before the change cannot put the old state back. If the
cache cannot be reached at that moment, the copy it holds can only be read during a
database outage within `TOKEN_COPY_SECONDS` of when it was written.
"""

import datetime as dt
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from sharing.models import ShareToken

REFRESH_SECONDS = 60.0
TOMBSTONE = "gone"
MOST_REMEMBERED = 10_000
_copied_at: dict[str, float] = {}  # digest → when this process last wrote its copy (monotonic)


def copy_key(digest: str) -> str:
    return f"token-copy:v1:{digest}"


def remember(share_token: ShareToken) -> None:
    """Copy `share_token` (found active in the database, with its site) into the cache, unless this process did
    so less than `REFRESH_SECONDS` ago."""
    seconds = settings.TOKEN_COPY_SECONDS
    if seconds <= 0:
        return
    now = time.monotonic()
    if now - _copied_at.get(share_token.digest, -REFRESH_SECONDS) < REFRESH_SECONDS:
        return
    if len(_copied_at) >= MOST_REMEMBERED:
        _copied_at.clear()
    _copied_at[share_token.digest] = now
    cache.add(copy_key(share_token.digest), share_token, timeout=seconds)


def copy_of(digest: str, *, now: dt.datetime) -> ShareToken | None:
    """The cached copy of the token with `digest` if it is still active at `now`; None otherwise."""
    if settings.TOKEN_COPY_SECONDS <= 0:
        return None
    share_token = cache.get(copy_key(digest))
    if not isinstance(share_token, ShareToken) or share_token.digest != digest:
        return None
    return share_token if share_token.status(now) == "active" else None


def forget(share_tokens: Iterable[ShareToken]) -> None:
    """Replace the copies of `share_tokens` (their access changed or they are gone) with tombstones, once the
    caller's transaction commits."""
    digests = [share_token.digest for share_token in share_tokens if share_token.digest]
    if digests:
        transaction.on_commit(lambda: bury(digests))


def bury(digests: list[str]) -> None:
    for digest in digests:
        _copied_at.pop(digest, None)
    cache.set_many({copy_key(digest): TOMBSTONE for digest in digests}, timeout=max(settings.TOKEN_COPY_SECONDS, 1))


def forget_local_marks() -> None:
    _copied_at.clear()
