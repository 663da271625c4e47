"""Inviting people to a site by email, revoking an invitation, and accepting one.

An invitation's link carries a random token; only its SHA-256 is stored, so a database leak
opens no site. The link works once (the accepting UPDATE is conditional on it still being
pending), for 7 days, and only for the address it was sent to: a signed-in user whose email
differs is refused, and a new account is made with that address.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from analytics.members import add_site_member, record_member_event
from analytics.models import MemberEvent, Site, SiteMembership, SiteRole
from sharing.owners import site_owners_group
from teams.models import INVITATION_LIFETIME, Invitation
from teams.outbox import queue_email

TOKEN_BYTES = 32
# secrets.token_urlsafe(32) is 43 characters; anything longer is refused before it is hashed.
TOKEN_MAX_LENGTH = 64


def invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return f"{settings.GLIMPSE_BASE_URL.rstrip('/')}{reverse('teams:invitation', args=[token])}"


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    url: str


@transaction.atomic
def invite_member(
    *, site: Site, email: str, role: str, invited_by: AbstractBaseUser, now: dt.datetime
) -> SentInvitation:
    """Queues the email with the link; refuses someone already a member or already invited and still pending."""
    if role not in SiteRole.values:
        raise ValidationError(_("Choose a role."))
    email = get_user_model().objects.normalize_email(email.strip())
    if SiteMembership.objects.filter(site=site, user__email__iexact=email).exists():
        raise ValidationError(_("Already a member of %(site)s: %(email)s.") % {"email": email, "site": site})
    if Invitation.objects.pending(now).filter(site=site, email__iexact=email).exists():
        raise ValidationError(
            _(
                "Already invited to %(site)s, and the invitation is still pending: %(email)s. "
                "Revoke it to send a new one."
            )
            % {"email": email, "site": site}
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        site=site,
        email=email,
        role=role,
        digest=invitation_digest(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    url = invitation_url(token)
    site_label = f"{site.nickname} ({site.domain})" if site.nickname else site.domain
    context = {"invitation": invitation, "url": url, "inviter": invited_by.get_username(), "site_label": site_label}
    queue_email(
        to=email,
        subject=render_to_string("teams/invitation_subject.txt", context).strip(),
        body=render_to_string("teams/invitation_email.txt", context),
        now=now,
    )
    record_member_event(site=site, kind=MemberEvent.Kind.INVITED, actor=invited_by, subject=email, role=role, now=now)
    return SentInvitation(invitation=invitation, url=url)


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, actor: AbstractBaseUser, now: dt.datetime) -> bool:
    """False when it was no longer pending (accepted, expired or revoked already)."""
    if not Invitation.objects.pending(now).filter(pk=invitation.pk).update(revoked_at=now):
        return False
    invitation.revoked_at = now
    record_member_event(
        site=invitation.site,
        kind=MemberEvent.Kind.INVITATION_REVOKED,
        actor=actor,
        subject=invitation.email,
        role=invitation.role,
        now=now,
    )
    return True


def find_pending_invitation(token: str, *, now: dt.datetime) -> Invitation | None:
    """Accepted, revoked, expired and unknown tokens are all the same None: the page says one thing for all."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Invitation.objects.pending(now)
        .select_related("site", "invited_by")
        .filter(digest=invitation_digest(token))
        .first()
    )


def account_for(email: str) -> AbstractBaseUser | None:
    return get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()


@transaction.atomic
def accept_invitation(invitation: Invitation, *, user: AbstractBaseUser, now: dt.datetime) -> SiteMembership:
    """Makes `user` (whose email must be the invited one) a member; the link cannot be used again."""
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s: sign in with that account to accept it.")
            % {"email": invitation.email}
        )
    taken = Invitation.objects.pending(now).filter(pk=invitation.pk).update(accepted_at=now, accepted_by=user)
    if not taken:
        raise ValidationError(_("This invitation link is no longer valid."))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(site_owners_group())
    membership = add_site_member(site=invitation.site, user=user, role=invitation.role, actor=user, now=now)
    record_member_event(
        site=invitation.site,
        kind=MemberEvent.Kind.ACCEPTED,
        actor=user,
        subject=invitation.email,
        role=membership.role,
        now=now,
    )
    return membership


@transaction.atomic
def accept_with_new_account(
    invitation: Invitation, *, username: str, password: str, now: dt.datetime
) -> AbstractBaseUser:
    """Creates the account for the invited address, then accepts. Raises ValidationError for a taken name
    or a weak password, and when the address already has an account (that account signs in instead)."""
    user_model = get_user_model()
    if account_for(invitation.email) is not None:
        raise ValidationError(_("%(email)s already has an account: sign in to accept.") % {"email": invitation.email})
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = user_model(username=username, email=invitation.email, is_staff=True)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    accept_invitation(invitation, user=user, now=now)
    return user
