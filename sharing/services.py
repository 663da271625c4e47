"""Writes on share tokens: create, change, extend, revoke, rotate. The admin and the commands both call these.

Every function takes `now` from its caller (a view, a command), so one request reads one
clock, and refuses what would break a token rule with Django's `ValidationError`, which
the admin shows as a message and the commands as an error line.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext, gettext_lazy

from analytics.models import Site
from analytics.periods import Period
from sharing import token_copies
from sharing.embedding import checked_origins
from sharing.link_passwords import hashed_link_password
from sharing.models import ShareToken
from sharing.sections import checked_sections
from sharing.tokens import display_prefix, generate_token, token_digest

EXPIRY_IN_THE_PAST = gettext_lazy("The expiry must be in the future; to stop a link now, revoke it.")
NOT_ROTATABLE = gettext_lazy("Only a working share link that is not already being replaced can be rotated.")
NOT_CHANGEABLE = gettext_lazy("Only the label of an expired, revoked or replaced share link can change.")
ACCESS_FIELDS = ("allowed_periods", "expires_at", "password_hash", "hidden_sections", "frame_origins", "language")


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: the raw value exists only here, to be shown once."""

    share_token: ShareToken
    raw_token: str


def create_share_token(
    *,
    site: Site,
    now: dt.datetime,
    label: str = "",
    allowed_periods: list[str] | tuple[str, ...] = (),
    expires_at: dt.datetime | None = None,
    created_by: AbstractBaseUser | None = None,
    password: str = "",
    hidden_sections: list[str] | tuple[str, ...] = (),
    frame_origins: list[str] | tuple[str, ...] = (),
    password_hash: str = "",
    language: str = "",
) -> IssuedToken:
    """A new link. `password` is hashed here; `password_hash` carries an existing hash over (rotation)."""
    periods = checked_periods(allowed_periods)
    if expires_at is not None and expires_at <= now:
        raise ValidationError(EXPIRY_IN_THE_PAST)
    raw_token = generate_token()
    share_token = ShareToken.objects.create(
        site=site,
        label=label,
        digest=token_digest(raw_token),
        display_prefix=display_prefix(raw_token),
        allowed_periods=periods,
        expires_at=expires_at,
        created_by=created_by,
        password_hash=hashed_link_password(password) if password else password_hash,
        hidden_sections=checked_sections(hidden_sections),
        frame_origins=checked_origins(frame_origins),
        language=checked_language(language),
    )
    return IssuedToken(share_token=share_token, raw_token=raw_token)


def revoke_share_token(share_token: ShareToken, *, now: dt.datetime) -> bool:
    """Revoke for good. Returns False when the token was already revoked (nothing changes)."""
    updated = ShareToken.objects.filter(pk=share_token.pk).exclude(revoked_at__lte=now).update(revoked_at=now)
    token_copies.forget([share_token])
    share_token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


@transaction.atomic
def rotate_share_token(
    share_token: ShareToken,
    *,
    now: dt.datetime,
    grace: dt.timedelta = dt.timedelta(0),
    created_by: AbstractBaseUser | None = None,
) -> IssuedToken:
    """Replace a changeable token by a new one with the same site, label and access settings (periods,
    expiry, password, sections, embedding origins).

    The old token stays valid for `grace` (so embedded dashboards can be updated),
    then counts as revoked; it records its replacement, so the admin can link one to the
    other. An expired, revoked or already replaced token cannot be rotated: that would
    hand out a working link where none works any more.
    """
    revoke_at = now + grace
    replaced = ShareToken.objects.changeable(now).filter(pk=share_token.pk).update(revoked_at=revoke_at)
    if not replaced:
        raise ValidationError(NOT_ROTATABLE)
    token_copies.forget([share_token])
    issued = create_share_token(
        site=share_token.site,
        now=now,
        label=share_token.label,
        allowed_periods=share_token.allowed_periods,
        expires_at=share_token.expires_at,
        created_by=created_by,
        password_hash=share_token.password_hash,
        hidden_sections=share_token.hidden_sections,
        frame_origins=share_token.frame_origins,
        language=share_token.language,
    )
    ShareToken.objects.filter(pk=share_token.pk).update(replaced_by=issued.share_token)
    share_token.refresh_from_db(fields=["revoked_at", "replaced_by"])
    return issued


def update_share_token(
    share_token: ShareToken,
    *,
    now: dt.datetime,
    label: str,
    allowed_periods: list[str] | tuple[str, ...],
    expires_at: dt.datetime | None,
    hidden_sections: list[str] | tuple[str, ...] | None = None,
    frame_origins: list[str] | tuple[str, ...] | None = None,
    language: str | None = None,
    new_password: str = "",
    remove_password: bool = False,
) -> ShareToken:
    """Save a token's label and access settings.

    The label may always change. Periods, expiry, password, sections and embedding origins
    change only while the token is changeable (`ShareTokenQuerySet.changeable`). Sections,
    origins and language left as None keep their values; the password changes only when `new_password` is
    given or `remove_password` is set.
    """
    current = ShareToken.objects.get(pk=share_token.pk)
    access = {
        "allowed_periods": checked_periods(allowed_periods),
        "expires_at": expires_at,
        "hidden_sections": current.hidden_sections if hidden_sections is None else checked_sections(hidden_sections),
        "frame_origins": current.frame_origins if frame_origins is None else checked_origins(frame_origins),
        "password_hash": "" if remove_password else current.password_hash,
        "language": current.language if language is None else checked_language(language),
    }
    if new_password:
        access["password_hash"] = hashed_link_password(new_password)
    if any(access[field] != getattr(current, field) for field in ACCESS_FIELDS):
        if expires_at is not None and expires_at <= now and expires_at != current.expires_at:
            raise ValidationError(EXPIRY_IN_THE_PAST)
        updated = ShareToken.objects.changeable(now).filter(pk=share_token.pk).update(label=label, **access)
        if not updated:
            raise ValidationError(NOT_CHANGEABLE)
    else:
        ShareToken.objects.filter(pk=share_token.pk).update(label=label)
    token_copies.forget([share_token])
    share_token.refresh_from_db(fields=["label", *ACCESS_FIELDS])
    return share_token


def extend_share_token_expiry(share_token: ShareToken, *, by: dt.timedelta, now: dt.datetime) -> bool:
    """Push a changeable token's expiry back by `by`. False (nothing changes) for a token that never expires,
    has already expired, is revoked or is being replaced."""
    extended = (
        ShareToken.objects.changeable(now)
        .filter(pk=share_token.pk, expires_at__isnull=False)
        .update(expires_at=F("expires_at") + by)
    )
    token_copies.forget([share_token])
    share_token.refresh_from_db(fields=["expires_at"])
    return bool(extended)


def checked_periods(periods: list[str] | tuple[str, ...]) -> list[str]:
    """Known periods only, stored in canonical order."""
    unknown = set(periods) - set(Period.values)
    if unknown:
        raise ValidationError(
            gettext("Unknown period(s): %(unknown)s. Choose from %(known)s.")
            % {"unknown": ", ".join(sorted(unknown)), "known": ", ".join(Period.values)}
        )
    return [period.value for period in Period.in_order(periods)]


def checked_language(language: str) -> str:
    """One of the shipped languages (`settings.LANGUAGES`), or empty for "the reader's own"."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(
            gettext("Unknown language: %(language)s. Choose from %(known)s.")
            % {"language": language, "known": ", ".join(code for code, _name in settings.LANGUAGES)}
        )
    return language
