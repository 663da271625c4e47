"""Writes on share tokens: create, revoke, rotate. The admin and the commands both call these."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
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
    unknown = set(allowed_periods) - set(PERIODS)
    if unknown:
        raise ValueError(f"Unknown period(s): {', '.join(sorted(unknown))}. Choose from {', '.join(PERIODS)}.")
    raw_token = generate_token()
    share_token = ShareToken.objects.create(
        site=site,
        label=label,
        digest=token_digest(raw_token),
        display_prefix=display_prefix(raw_token),
        allowed_periods=in_canonical_order(list(allowed_periods)),
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
    ShareToken.objects.filter(pk=share_token.pk).filter(revoked_at__isnull=True).update(revoked_at=revoke_at)
    ShareToken.objects.filter(pk=share_token.pk, revoked_at__gt=revoke_at).update(revoked_at=revoke_at)
    share_token.refresh_from_db(fields=["revoked_at"])
    return issued
