"""Sites and the data collected for them.

No cookie, IP address or raw user agent is stored anywhere: a visitor is only a
64-bit id derived from a daily salt that is deleted after about two days.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from analytics.domains import normalize_domain

PATH_MAX_LENGTH = 2000


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (for example Europe/Berlin).")


class Site(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sites")
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = normalize_domain(self.domain)
        super().save(*args, **kwargs)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def display_name(self) -> str:
        return self.nickname or self.domain


class Session(models.Model):
    """A run of pageviews by one visitor id whose consecutive gaps are under 30 minutes."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sessions")
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

    class Meta:
        indexes = [
            models.Index(fields=["site", "started_at"], name="session_site_started"),
            models.Index(fields=["site", "visitor_id", "ended_at"], name="session_site_visitor_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id}:{self.visitor_id}@{self.started_at:%Y-%m-%d %H:%M}"


class Pageview(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="pageviews")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="pageview_set")
    visitor_id = models.BigIntegerField()
    timestamp = models.DateTimeField()
    path = models.CharField(max_length=PATH_MAX_LENGTH)

    class Meta:
        indexes = [models.Index(fields=["site", "timestamp"], name="pageview_site_timestamp")]

    def __str__(self) -> str:
        return f"{self.path} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class VisitorSalt(models.Model):
    """The random salt of one calendar date, deleted once no site can still be on that date."""

    day = models.DateField(unique=True)
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"salt for {self.day}"
