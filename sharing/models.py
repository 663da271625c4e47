"""Share tokens: read-only access to one site's statistics for whoever holds the token."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from analytics.models import Site, SitePermission
from analytics.periods import DEFAULT_PERIOD, Period


class ShareTokenQuerySet(models.QuerySet):
    """The states of a token, each defined once (docs/definitions.md, "Share tokens")."""

    def active(self, now: dt.datetime) -> "ShareTokenQuerySet":
        """Tokens that grant access at `now`: not revoked (yet) and not expired.

        This is the one definition of a usable token; every lookup goes through it.
        `revoked_at` may lie in the future while a rotated token's grace period runs.
        """
        return self.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=now),
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        )

    def changeable(self, now: dt.datetime) -> "ShareTokenQuerySet":
        """Active tokens whose periods and expiry may still change: not being replaced by a rotation.

        An expired or revoked token is never changeable: a new expiry would bring it back to life.
        """
        return self.active(now).filter(revoked_at__isnull=True)

    def revoked(self, now: dt.datetime) -> "ShareTokenQuerySet":
        return self.filter(revoked_at__lte=now)

    def expired(self, now: dt.datetime) -> "ShareTokenQuerySet":
        return self.filter(expires_at__lte=now).exclude(revoked_at__lte=now)

    def visible_to(self, user: AbstractBaseUser, permission: str = SitePermission.VIEW) -> "ShareTokenQuerySet":
        """The tokens of the sites on which `user` may do `permission` (`Site.objects.visible_to`)."""
        return self.filter(site__in=Site.objects.visible_to(user, permission))

    def count_per_site(self) -> Coalesce:
        """An expression counting these tokens for the outer `Site` row, to annotate a site list in one query."""
        counts = self.filter(site=OuterRef("pk")).order_by().values("site").annotate(total=Count("pk")).values("total")
        return Coalesce(Subquery(counts), 0)


class ShareToken(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="share_tokens")
    label = models.CharField(max_length=200, blank=True, help_text='Who the link is for, e.g. "Client report".')
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the token, hex.")
    display_prefix = models.CharField(max_length=32, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    expires_at = models.DateTimeField("expires", null=True, blank=True)
    revoked_at = models.DateTimeField("revoked", null=True, blank=True, editable=False)
    allowed_periods = models.JSONField(default=list, blank=True, help_text="Empty means every period.")
    # Django's password hash (`make_password`); empty for a link without a password. Never the password itself.
    password_hash = models.CharField(max_length=128, blank=True, editable=False)
    hidden_sections = models.JSONField(default=list, blank=True, help_text="Empty means every section is shown.")
    frame_origins = models.JSONField(
        "embedding origins", default=list, blank=True, help_text="Empty means any site may embed the link."
    )
    language = models.CharField(
        "language",
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The page's language for every reader; empty follows each reader's browser. "
        "A ?lang= in the link still wins.",
    )
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)
    use_count = models.PositiveBigIntegerField("uses", default=0, editable=False)
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The link that a rotation made to replace this one.",
    )

    objects = ShareTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "share link"

    def __str__(self) -> str:
        return f"{self.label or 'Share link'} ({self.display_prefix}…)"

    @property
    def periods(self) -> list[Period]:
        """The periods this token may query, in canonical order; no restriction means all of them."""
        return Period.in_order(self.allowed_periods) if self.allowed_periods else list(Period)

    @property
    def default_period(self) -> Period:
        """What the link shows when no period is asked for: the first it allows, or 7 days when it allows all."""
        return Period.in_order(self.allowed_periods)[0] if self.allowed_periods else DEFAULT_PERIOD

    def allows(self, period: str) -> bool:
        return period in self.periods

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def shows(self, section: str) -> bool:
        """Whether the link shows `section` (a key of `sharing.sections.SECTIONS`)."""
        return section not in self.hidden_sections

    def is_being_replaced(self, now: dt.datetime) -> bool:
        """Rotated with a grace period: still works, but only until `revoked_at`."""
        return self.revoked_at is not None and self.revoked_at > now

    def status(self, now: dt.datetime) -> str:
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
