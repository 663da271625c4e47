"""Carrying a token just issued from the POST that made it to the page that shows it once (post/redirect/get).

Showing the token in the response to the POST meant a reload re-submitted the form and made a
second working link. Now the POST stores what the page needs in the cache and redirects; the
page reads it back once. The raw token still never reaches the database, the session, a
message, a cookie or the admin history:

- it sits in the cache for at most `HANDOFF_SECONDS`, under a random 256-bit id that only the
  redirect URL carries, next to the id of the user it was issued to;
- the first read by the user it was issued to deletes it, so a reload, the back button or a
  copied URL finds nothing and the page says the token was already shown; anyone else, a
  superuser included, reads nothing and leaves it in place.

With several worker processes the cache must be shared (Redis, `REDIS_URL`); with an
in-process cache a redirect served by another worker finds nothing, and the owner rotates the
link to get a new token, as for any lost token.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from sharing.services import IssuedToken

HANDOFF_SECONDS = 60


@dataclass(frozen=True)
class HandOff:
    share_token_id: int
    raw_token: str
    replaced_id: int | None
    replaced_until: str


def handoff_key(handoff_id: str) -> str:
    return f"issued-token:{handoff_id}"


def hand_off(issued: IssuedToken, *, user: AbstractBaseUser, replaced_id: int | None = None, until: str = "") -> str:
    """Store the token for the next page; returns the id to put in the redirect URL."""
    handoff_id = secrets.token_urlsafe(32)
    entry = {
        "user_id": user.pk,
        "share_token_id": issued.share_token.pk,
        "raw_token": issued.raw_token,
        "replaced_id": replaced_id,
        "replaced_until": until,
    }
    cache.set(handoff_key(handoff_id), entry, timeout=HANDOFF_SECONDS)
    return handoff_id


def take_hand_off(handoff_id: str, *, user: AbstractBaseUser, share_token_id: int) -> HandOff | None:
    """The stored token, deleted as it is read; None when absent, expired, already read or not this user's."""
    key = handoff_key(handoff_id)
    entry = cache.get(key)
    if entry is None or entry["user_id"] != user.pk or entry["share_token_id"] != share_token_id:
        # Another user (a superuser too) opening the URL reads nothing and leaves it for its owner.
        return None
    cache.delete(key)
    return HandOff(
        share_token_id=entry["share_token_id"],
        raw_token=entry["raw_token"],
        replaced_id=entry["replaced_id"],
        replaced_until=entry["replaced_until"],
    )
