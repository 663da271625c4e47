"""Invitations to a site, and the outbox every email of Glimpse goes through."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics.models import Site, SitePermission, SiteRole

INVITATION_LIFETIME = dt.timedelta(days=7)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now: dt.datetime) -> "InvitationQuerySet":
        """The one definition of an invitation whose link still works: not accepted, not revoked, not expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)

    def visible_to(
        self, user: AbstractBaseUser, permission: str = SitePermission.MANAGE_MEMBERS
    ) -> "InvitationQuerySet":
        """Invitations are part of a site's people: seen by those who manage its members."""
        return self.filter(site__in=Site.objects.visible_to(user, permission))


class Invitation(models.Model):
    """A link sent to an email address that makes its holder a member of one site, once, within 7 days.

    Only the SHA-256 of the link's token is kept, as for share links: the raw token exists in the
    email alone (and in the outbox row until that email is sent).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=SiteRole.choices)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()}) to {self.site}"

    def status(self, now: dt.datetime) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "pending"


class OutboxEmail(models.Model):
    """One email waiting to be sent, or sent: requests only write a row here, `teams.outbox` sends it.

    A send that fails is tried again later (`next_attempt_at`) and its error shows in the admin.
    The body is erased once the email is sent: it may carry a one-time link.
    """

    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(_("queued"))
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
