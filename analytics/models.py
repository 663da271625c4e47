"""Sites and the data collected for them.

No cookie, IP address or raw user agent is stored anywhere: a visitor is only a
64-bit id derived from a daily salt that is deleted after about two days.
"""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics.domains import normalize_domain
from analytics.periods import PERIOD_DAYS

PATH_MAX_LENGTH = 2000
# Written only by `analytics.drop_counts`, as one UPDATE adding a process's drops of an interval.
DROP_COUNTERS = ("dropped_events", "last_dropped_at")


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (for example Europe/Berlin).")


class SiteRole(models.TextChoices):
    """What a member may do on one site; `ROLE_PERMISSIONS` says exactly what."""

    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    VIEWER = "viewer", _("Viewer")


class SitePermission(models.TextChoices):
    """The things a member does to a site, each granted by some roles (`ROLE_PERMISSIONS`)."""

    VIEW = "view", _("See the site, its dashboard and its list of share links")
    MANAGE_LINKS = "manage_links", _("Create, change, rotate and revoke share links")
    CHANGE_SITE = "change_site", _("Change the site's settings")
    MANAGE_MEMBERS = "manage_members", _("Invite, change and remove members")
    DELETE_SITE = "delete_site", _("Delete the site with its data")


# The one table of who may do what; `SiteQuerySet.visible_to` reads it and nothing else decides.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    SiteRole.OWNER: frozenset(SitePermission.values),
    SiteRole.MANAGER: frozenset({SitePermission.VIEW, SitePermission.MANAGE_LINKS, SitePermission.CHANGE_SITE}),
    SiteRole.VIEWER: frozenset({SitePermission.VIEW}),
}


def roles_with(permission: str) -> list[str]:
    if permission not in SitePermission.values:
        raise ValueError(f"Unknown site permission {permission!r}.")
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser, permission: str = SitePermission.VIEW) -> "SiteQuerySet":
        """The sites on which `user` may do `permission`: a superuser every site, anyone else by their role there.

        This is the one scoping rule: every admin page, action, dashboard and poll endpoint asks it,
        so a role's rights are changed in `ROLE_PERMISSIONS` alone. An anonymous or inactive user
        has no site.
        """
        roles = roles_with(permission)
        if not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(pk__in=SiteMembership.objects.filter(user_id=user.pk, role__in=roles).values("site_id"))


TIMEZONE_LOCKED = (
    "The time zone cannot change once the site has pageviews: its days, rollups and visitor counts are "
    "built on it. To count in another time zone, add a new site."
)


class Site(models.Model):
    # Who created the site, and so became its first owner (`save`). Access comes from memberships alone:
    # this account may since have left the site, and deleting it leaves the site to its other members.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_sites",
        verbose_name=_("created by"),
    )
    domain = models.CharField(
        max_length=253,
        unique=True,
        help_text="Lowercase, without scheme, path, port or leading www. (example.com)",
    )
    nickname = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA name; the site's days and charts follow it.",
    )
    # max_length only bounds the admin form: the list is parsed on every event.
    allowed_hostnames = models.TextField(
        blank=True,
        max_length=2000,
        help_text=(
            "Hosts whose pages may report to this site, one per line or comma-separated; *.example.com allows every "
            "subdomain. Empty: the domain and its subdomains. Events from other hosts are dropped and counted."
        ),
    )
    # Matched by `analytics.blocklists` on every event, and used to remove stored spam (`analytics.spam_removal`).
    blocked_sources = models.TextField(
        blank=True,
        max_length=2000,
        help_text=(
            "Sources whose visits are not counted, one per line: a referrer host (spam.example also blocks its "
            "subdomains) or a utm_source value. Saving removes visits already stored from them."
        ),
    )
    blocked_paths = models.TextField(
        blank=True,
        max_length=2000,
        help_text=(
            "Paths whose visits are not counted, one per line: /exact/path, or /prefix* for every path it starts. "
            "Saving removes visits already stored that touched them."
        ),
    )
    # Added to by `analytics.drop_counts` in batches, never read back and saved (see `save`).
    dropped_events = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Events refused because their page was on a host not allowed."
    )
    last_dropped_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        """Saving an existing site never writes its drop counters, so an admin edit cannot undo a concurrent count."""
        self.domain = normalize_domain(self.domain)
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in DROP_COUNTERS
            ]
        self.refuse_timezone_change()
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.owner_id is not None:
            # A site is never without an owner: whoever creates it is its first one.
            SiteMembership.objects.get_or_create(site=self, user_id=self.owner_id, defaults={"role": SiteRole.OWNER})

    def clean(self) -> None:
        super().clean()
        self.refuse_timezone_change()

    def has_pageviews(self) -> bool:
        return self.pk is not None and Pageview.objects.filter(site_id=self.pk).exists()

    def refuse_timezone_change(self) -> None:
        """A site's local day must never move once data exists (docs/definitions.md, "Sites").

        Visitor ids, sessions and rollups are cut at the site's local midnight; under another
        time zone a stored visitor id would span two days and the daily series would shift.
        """
        if self.pk is None or not Site.objects.filter(pk=self.pk).exclude(timezone=self.timezone).exists():
            return
        if self.has_pageviews():
            raise ValidationError({"timezone": TIMEZONE_LOCKED})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def display_name(self) -> str:
        return self.nickname or self.domain


class SiteScopedQuerySet(models.QuerySet):
    """Rows that belong to one site, seen through the site's scoping rule."""

    def visible_to(self, user: AbstractBaseUser, permission: str = SitePermission.VIEW) -> "SiteScopedQuerySet":
        return self.filter(site__in=Site.objects.visible_to(user, permission))


class SiteMembership(models.Model):
    """One person's role on one site. Written only by `analytics.members`, which keeps an owner on every site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships")
    role = models.CharField(max_length=10, choices=SiteRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "user"], name="one_membership_per_site_and_user")]
        indexes = [models.Index(fields=["user", "role"], name="membership_user_role")]
        ordering = ["site", "role", "user"]
        verbose_name = _("member")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) on {self.site}"

    def allows(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


class MemberEvent(models.Model):
    """The history of a site's people: who invited, accepted, changed a role or removed whom, and when.

    Kept as text (the names and the email address at the time), so it reads the same after an
    account or an invitation is gone.
    """

    class Kind(models.TextChoices):
        INVITED = "invited", _("Invited")
        INVITATION_REVOKED = "invitation_revoked", _("Revoked an invitation")
        ACCEPTED = "accepted", _("Accepted an invitation")
        ROLE_CHANGED = "role_changed", _("Changed a role")
        REMOVED = "removed", _("Removed")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="member_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.CharField(max_length=254, help_text=_("Who did it."))
    subject = models.CharField(max_length=254, help_text=_("Whom it was done to: a username or an email address."))
    role = models.CharField(max_length=10, choices=SiteRole.choices, blank=True, help_text=_("The role after it."))
    at = models.DateTimeField()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("member history entry")
        verbose_name_plural = _("member history")

    def __str__(self) -> str:
        return f"{self.actor}: {self.get_kind_display()} {self.subject} on {self.site}"


def hot_table_site(**options) -> models.ForeignKey:
    """The site of a row in a table every batch of pageviews writes: a foreign key Django cascades, without a
    database constraint.

    A constraint is checked row by row at commit: a batch of 1,000 pageviews inserts a few thousand rows (pageviews,
    sessions, day, hour and period rows) and each check locks the site's row, which two ingest workers writing the
    same sites then share through multixacts (about 60 ms of a high-cardinality batch of 1,000, and 15% of two
    workers' drain). The writers check instead, once per transaction, that their sites still exist, under the
    sites' roll-up locks, which deleting a site takes too (`analytics.counting.counters.lock_sites`): a site
    deleted while a batch writes it leaves no row behind, as with the constraint.
    """
    return models.ForeignKey(Site, on_delete=models.CASCADE, db_constraint=False, db_index=False, **options)


class Session(models.Model):
    """A run of pageviews by one visitor id whose consecutive gaps are under 30 minutes.

    Derived: a visitor-day's sessions are rewritten from its pageviews whenever one of them is
    written (`analytics.counting.rule.sessions_of`), so they never depend on arrival order.
    """

    # No index of its own: the (site, …) indexes below serve every lookup by site, and PostgreSQL preferred a
    # site-only index for the last 24 hours and then threw away most of what it read.
    site = hot_table_site(related_name="sessions")
    visitor_id = models.BigIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(help_text="Time of the session's last pageview.")
    # Whole seconds, kept in step with ended_at: averaging a datetime difference fails on SQLite.
    duration = models.PositiveIntegerField(default=0)
    pageviews = models.PositiveIntegerField(default=0)
    entry_path = models.CharField(max_length=PATH_MAX_LENGTH)
    exit_path = models.CharField(max_length=PATH_MAX_LENGTH)
    source = models.CharField(max_length=255, default="direct")
    device_type = models.CharField(max_length=10, choices=DeviceType.choices, default=DeviceType.DESKTOP)
    browser = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; empty when unknown.")
    # Marks on the latest-ending session of its visitor with its device type, browser or country
    # (see `Pageview.last_of_visitor`).
    last_of_device_type = models.BooleanField(default=False, db_default=False)
    last_of_browser = models.BooleanField(default=False, db_default=False)
    last_of_country = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["site", "started_at"], name="session_site_started"),
            models.Index(fields=["site", "visitor_id", "ended_at"], name="session_site_visitor_ended"),
            models.Index(fields=["site", "ended_at"], name="session_site_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id}:{self.visitor_id}@{self.started_at:%Y-%m-%d %H:%M}"


class Pageview(models.Model):
    # No index of its own: the (site, …) indexes below serve every lookup by site, and PostgreSQL preferred a
    # site-only index for the last 24 hours and then threw away most of what it read.
    site = hot_table_site(related_name="pageviews")
    visitor_id = models.BigIntegerField()
    timestamp = models.DateTimeField()
    path = models.CharField(max_length=PATH_MAX_LENGTH)
    # What the event itself said: a session takes them from its first pageview (`analytics.counting.rule`), which
    # may arrive after the others.
    source = models.CharField(max_length=255, default="direct", db_default="direct")
    device_type = models.CharField(
        max_length=10, choices=DeviceType.choices, default=DeviceType.DESKTOP, db_default=DeviceType.DESKTOP
    )
    browser = models.CharField(max_length=64, blank=True, default="", db_default="")
    country = models.CharField(max_length=2, blank=True, default="", db_default="")
    # The ingest queue's id of the event, so a batch handed over twice is stored once; empty when written directly.
    event_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Marks on the latest pageview of its visitor, and of its visitor on its path, kept by the writer
    # (`analytics.counting.hours`): the last 24 hours count the visitors of their first, partial hour with them.
    last_of_visitor = models.BooleanField(default=False, db_default=False)
    last_of_path = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["site", "timestamp"], name="pageview_site_timestamp"),
            models.Index(fields=["site", "visitor_id"], name="pageview_site_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.path} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class VisitorSalt(models.Model):
    """The random salt of one calendar date, deleted once no site can still be on that date."""

    day = models.DateField(unique=True)
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"salt for {self.day}"


# --- Derived counts ---------------------------------------------------------------
# Written by `analytics.counting` from the collected pageviews, by one rule; they can always
# be checked (`rollup_stats --verify`) and rebuilt (`rollup_stats --rebuild`).


class Dimension(models.IntegerChoices):
    PATH = 1, "Path"
    SOURCE = 2, "Source"
    DEVICE_TYPE = 3, "Device type"
    BROWSER = 4, "Browser"
    COUNTRY = 5, "Country"


class DailyRollup(models.Model):
    """The totals of one site-local day: its pageviews, and the sessions that started on it."""

    site = hot_table_site(related_name="+")
    day = models.DateField()
    pageviews = models.PositiveIntegerField()
    visitors = models.PositiveIntegerField()
    sessions = models.PositiveIntegerField()
    bounces = models.PositiveIntegerField()
    duration = models.PositiveBigIntegerField(help_text="Total session duration, in seconds.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="dailyrollup_site_day")]

    def __str__(self) -> str:
        return f"{self.site_id}@{self.day}"


class Breakdown(models.Model):
    """Counts for one value of one dimension on one site-local day (`start`).

    Paths carry pageviews and visitors, sources carry visits (sessions started), device
    types, browsers and countries carry visitors. Visitor counts of different days add up
    because a visitor id never spans two local days. Long periods read their lists from
    `PeriodTotal`, summed from these rows.
    """

    site = hot_table_site(related_name="+")
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    start = models.DateField(help_text="The site-local day.")
    # A 2,000-character path would not fit a PostgreSQL index entry: rows are found by a 64-bit hash of the value
    # (`analytics.counting.counters.value_key`), and the value itself is compared too.
    value_key = models.BigIntegerField()
    value = models.CharField(max_length=PATH_MAX_LENGTH)
    pageviews = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["site", "start", "dimension", "value_key"], name="breakdown_day_value")]

    def __str__(self) -> str:
        return f"{self.site_id}@{self.start} {self.get_dimension_display()} {self.value}"


class PeriodTotal(models.Model):
    """Per value, for each day period (7, 30, 90, 365 days), the sum of the day rows (`Breakdown`) of every day
    from the first day of the site's `PeriodWindow` of that length on: while no day before that window holds data,
    a period's top N is an index read.

    One row per value carries the counts of all four periods (`analytics.counting.periods.period_fields` names a
    period's three columns), so a batch finds, updates or inserts one row per changed value, not four. A value
    seen only before a short period's first day has zeros in that period's columns; readers leave such values out.
    A row whose counts are all zero is deleted. Rows are found by `value_key` (as every derived table's), the value
    compared too.
    """

    site = hot_table_site(related_name="+")
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    value_key = models.BigIntegerField()
    value = models.CharField(max_length=PATH_MAX_LENGTH)
    pageviews_7 = models.PositiveIntegerField(default=0)
    visitors_7 = models.PositiveIntegerField(default=0)
    visits_7 = models.PositiveIntegerField(default=0)
    pageviews_30 = models.PositiveIntegerField(default=0)
    visitors_30 = models.PositiveIntegerField(default=0)
    visits_30 = models.PositiveIntegerField(default=0)
    pageviews_90 = models.PositiveIntegerField(default=0)
    visitors_90 = models.PositiveIntegerField(default=0)
    visits_90 = models.PositiveIntegerField(default=0)
    pageviews_365 = models.PositiveIntegerField(default=0)
    visitors_365 = models.PositiveIntegerField(default=0)
    visits_365 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["site", "dimension", "value_key"], name="periodtotal_value_key"),
            # Only the pages list is cut by pageviews (`analytics.counting.read_days.nth_pageviews`): one ranked
            # index per period. Partial on pages, so a writer's look-up of one value (site, dimension, value key)
            # can only take the value-key index: on a table not analysed since it grew, PostgreSQL took two usable
            # indexes for equally cheap and sometimes walked the ranked one, reading every row of a dimension per
            # change (a batch's period totals: 2.2-2.9 s, not 0.3 s). Partial on a count above zero too, so each
            # holds only the paths its period counts (a path seen only months ago is in the 365-day index alone).
            *(
                models.Index(
                    fields=["site", f"-pageviews_{days}"],
                    condition=models.Q(dimension=Dimension.PATH, **{f"pageviews_{days}__gt": 0}),
                    name=f"periodtotal_ranked_pages_{days}",
                )
                for days in PERIOD_DAYS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.get_dimension_display()} {self.value}"


class PeriodWindow(models.Model):
    """The first day a site's `PeriodTotal` columns of the period of `days` days count from, and when a day holding
    data leaves the period (`due_on`, None while those columns hold no data): the worker visits only sites that are
    due."""

    site = hot_table_site(related_name="+")
    days = models.PositiveSmallIntegerField()
    first_day = models.DateField()
    due_on = models.DateField(null=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "days"], name="periodwindow_site_days")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.days}d from {self.first_day}"


class HourlyRollup(models.Model):
    """The totals of one UTC hour of one site-local day, for the last 24 hours (`analytics.counting.read_24h`).

    Pageviews are those in the hour; sessions, bounces and duration those of the sessions
    that start in it. `visitors` counts the visitors whose latest pageview of the day is in
    the hour, so the visitors of any run of the day's hours add up, each once. Rows older
    than a few days are dropped (`prune_hourly_rollups`): only the last 24 hours read them.
    """

    site = hot_table_site(related_name="+")
    hour = models.DateTimeField(help_text="Start of the UTC hour.")
    day = models.DateField()
    pageviews = models.IntegerField(default=0)
    visitors = models.IntegerField(default=0)
    sessions = models.IntegerField(default=0)
    bounces = models.IntegerField(default=0)
    duration = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "hour", "day"], name="hourlyrollup_site_hour_day")]

    def __str__(self) -> str:
        return f"{self.site_id}@{self.hour:%Y-%m-%d %H}h ({self.day})"


class HourlyBreakdown(models.Model):
    """Counts for one value of one dimension in one UTC hour of one site-local day (see `HourlyRollup`).

    Paths carry the pageviews in the hour and the visitors whose latest pageview of the
    path is in it; sources the visits (sessions started in the hour); device types,
    browsers and countries the visitors whose latest session with that value ends in it.
    """

    site = hot_table_site(related_name="+")
    hour = models.DateTimeField()
    day = models.DateField()
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    value = models.CharField(max_length=PATH_MAX_LENGTH)
    # A 64-bit hash of the value: what the writer finds a row by, as a 2,000-character value would not fit an index.
    value_key = models.BigIntegerField()
    pageviews = models.IntegerField(default=0)
    visitors = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["site", "dimension", "hour", "value_key"], name="hourlybreakdown_site_dim_hour")
        ]

    def __str__(self) -> str:
        return f"{self.site_id}@{self.hour:%Y-%m-%d %H}h {self.get_dimension_display()} {self.value}"


class HourlyHorizon(models.Model):
    """The earliest hour whose hourly rollups are all there: older ones have been dropped. One row at most."""

    kept_from = models.DateTimeField()

    def __str__(self) -> str:
        return f"hourly rollups kept from {self.kept_from:%Y-%m-%d %H}h"


class PassLease(models.Model):
    """Which process may run a periodic pass (`rollup_stats --every`) until when: one row per kind of pass.

    Taken and given back by `analytics.leases`, against the database's clock, so the machines
    running the worker need not agree on the time.
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
