"""One resolution of a share request, for the API and the share page alike (docs/definitions.md, "Share tokens").

The checks run in one fixed order — token given (400), token usable (404), password given
for a password-protected link (401), period allowed (403) — and each failure is a typed
error that the API renders as JSON and the share page as HTML. Only a request answered with statistics counts as a use.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from analytics.periods import DEFAULT_PERIOD, Period
from sharing.models import ShareToken
from sharing.selectors import find_active_token
from sharing.stats_cache import CachedStats, cached_stats
from sharing.usage import record_token_use


class ShareRequestError(Exception):
    """Why a share request gets no statistics; `status` is the HTTP status both views answer with."""

    status: int
    message: str


class TokenRequired(ShareRequestError):
    status, message = 400, "Share token required"


class LinkNotFound(ShareRequestError):
    """Unknown, revoked and expired tokens alike, so nobody learns which tokens once existed."""

    status, message = 404, "Invalid or expired share link"


class PasswordRequired(ShareRequestError):
    """A working link with a password that this request has not given (or got wrong).

    It comes before the period check, so nothing about the link — not even which periods it
    allows — is told to someone without the password.
    """

    status, message = 401, "Password required for this share"

    def __init__(self, *, share_token: ShareToken) -> None:
        super().__init__(self.message)
        self.share_token = share_token


class PeriodNotAllowed(ShareRequestError):
    """A period the token does not allow, or no period at all; the link itself works."""

    status, message = 403, "Period not allowed for this share"

    def __init__(self, *, share_token: ShareToken, requested: str) -> None:
        super().__init__(self.message)
        self.share_token = share_token
        self.requested = requested


@dataclass(frozen=True)
class ResolvedShare:
    share_token: ShareToken
    period: Period
    stats: CachedStats


def without_password(share_token: ShareToken) -> bool:
    """The default password check: only links without a password are open."""
    return not share_token.has_password


def resolve_share_request(
    *,
    raw_token: str,
    period: str | None,
    now: dt.datetime,
    default_period: Period | None = DEFAULT_PERIOD,
    unlocked: Callable[[ShareToken], bool] = without_password,
) -> ResolvedShare:
    """The statistics a share request is answered with, or the `ShareRequestError` it fails with.

    An absent or empty `period` means `default_period`, or with None the link's own default
    (`ShareToken.default_period`, what the share page uses: a link opens as copied even when it
    does not allow 7 days). Any other unknown text is not allowed. `unlocked` says whether this
    request may read a password-protected link (`sharing.link_passwords`).
    """
    if not raw_token:
        raise TokenRequired(TokenRequired.message)
    share_token = find_active_token(raw_token, now=now)
    if share_token is None:
        raise LinkNotFound(LinkNotFound.message)
    if share_token.has_password and not unlocked(share_token):
        raise PasswordRequired(share_token=share_token)
    chosen = Period.parse(period) if period else (default_period or share_token.default_period)
    if chosen is None or not share_token.allows(chosen):
        raise PeriodNotAllowed(share_token=share_token, requested=period or "")
    stats = cached_stats(site=share_token.site, period=chosen, now=now)
    record_token_use(share_token, now=now)
    return ResolvedShare(share_token=share_token, period=chosen, stats=stats)
