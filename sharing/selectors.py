"""Reads on share tokens."""

import datetime as dt

from django.db import DatabaseError

from analytics.process_state import fast_paths_enabled
from sharing import token_copies
from sharing.models import ShareToken
from sharing.token_lookup import run_active_token_lookup
from sharing.tokens import token_digest


def find_active_token(raw_token: str, *, now: dt.datetime) -> ShareToken | None:
    """The usable token matching `raw_token`, with its site, in one indexed query.

    Unknown, revoked and expired tokens all come back as None, so callers answer
    them identically and a caller cannot learn which tokens once existed. The fast
    path runs the same query precompiled (`sharing.token_lookup`). While the database
    cannot answer, a token found active shortly before is read from its cached copy
    (`sharing.token_copies`).
    """
    digest = token_digest(raw_token)
    try:
        if fast_paths_enabled():
            found = run_active_token_lookup(digest=digest, now=now)
        else:
            found = ShareToken.objects.active(now).select_related("site").filter(digest=digest).first()
    except DatabaseError:
        copy = token_copies.copy_of(digest, now=now)
        if copy is None:
            raise
        return copy
    if found is not None:
        token_copies.remember(found)
    return found
