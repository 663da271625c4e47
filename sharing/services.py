"""Writes on share tokens: create, change, extend, revoke, rotate. The admin and the commands both call these."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics.models import Site
from analytics.periods import PERIODS, in_canonical_order
from sharing.models import ShareToken
from sharing.tokens import display_prefix, generate_token, token_digest


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: the raw value exists only here, to be shown once."""

    share_token: ShareToken
    raw_token: str


def create_share_token(
    *,
    site: Site,
    label: str = "",
    allowed_periods: list[str] | tuple[str, ...] = (),
    expires_at: dt.datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> IssuedToken:
    periods = _checked_periods(allowed_periods)
    raw_token = generate_token()
    share_token = ShareToken.objects.create(
        site=site,
        label=label,
        digest=token_digest(raw_token),
        display_prefix=display_prefix(raw_token),
        allowed_periods=periods,
        expires_at=expires_at,
        created_by=created_by,
    )
    return IssuedToken(share_token=share_token, raw_token=raw_token)


def revoke_share_token(share_token: ShareToken, *, now: dt.datetime | None = None) -> bool:
    """Revoke for good. Returns False when the token was already revoked (nothing changes)."""
    now = now or timezone.now()
    updated = ShareToken.objects.filter(pk=share_token.pk).exclude(revoked_at__lte=now).update(revoked_at=now)
    share_token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


@transaction.atomic
def rotate_share_token(
    share_token: ShareToken,
    *,
    grace: dt.timedelta = dt.timedelta(0),
    created_by: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> IssuedToken:
    """Replace a token by a new one with the same site, label, periods and expiry.

    The old token stays valid for `grace` (so embedded dashboards can be updated),
    then counts as revoked.
    """
    now = now or timezone.now()
    issued = create_share_token(
        site=share_token.site,
        label=share_token.label,
        allowed_periods=share_token.allowed_periods,
        expires_at=share_token.expires_at,
        created_by=created_by,
    )
    revoke_at = now + grace
    ShareToken.objects.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=revoke_at), pk=share_token.pk).update(
        revoked_at=revoke_at
    )
    share_token.refresh_from_db(fields=["revoked_at"])
    return issued


def update_share_token(
    share_token: ShareToken,
    *,
    label: str,
    allowed_periods: list[str] | tuple[str, ...],
    expires_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> ShareToken:
    """Save a token's label, periods and expiry.

    The label may always change. Periods and expiry change only while the token works and is not
    being replaced: a new expiry on an expired or revoked token would bring it back to life.
    """
    now = now or timezone.now()
    periods = _checked_periods(allowed_periods)
    current = ShareToken.objects.get(pk=share_token.pk)
    if periods != current.allowed_periods or expires_at != current.expires_at:
        if expires_at is not None and expires_at <= now and expires_at != current.expires_at:
            raise ValueError("The expiry must be in the future; to stop a link now, revoke it.")
        updated = (
            ShareToken.objects.active(now)
            .filter(pk=share_token.pk, revoked_at__isnull=True)
            .update(label=label, allowed_periods=periods, expires_at=expires_at)
        )
        if not updated:
            raise ValueError("Only the label of an expired, revoked or replaced share link can change.")
    else:
        ShareToken.objects.filter(pk=share_token.pk).update(label=label)
    share_token.refresh_from_db(fields=["label", "allowed_periods", "expires_at"])
    return share_token


def extend_share_token_expiry(share_token: ShareToken, *, by: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Push a working token's expiry back by `by`. False (nothing changes) for a token that never expires,
    has already expired, is revoked or is being replaced."""
    now = now or timezone.now()
    extended = (
        ShareToken.objects.active(now)
        .filter(pk=share_token.pk, revoked_at__isnull=True, expires_at__isnull=False)
        .update(expires_at=F("expires_at") + by)
    )
    share_token.refresh_from_db(fields=["expires_at"])
    return bool(extended)


def _checked_periods(periods: list[str] | tuple[str, ...]) -> list[str]:
    unknown = set(periods) - set(PERIODS)
    if unknown:
        raise ValueError(f"Unknown period(s): {', '.join(sorted(unknown))}. Choose from {', '.join(PERIODS)}.")
    return in_canonical_order(list(periods))
