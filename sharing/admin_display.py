"""How share links look in the admin: times in the site's time zone, status badges, the URLs to hand out."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from analytics.models import Site
from sharing.models import ShareToken

STATUS_LABELS = {"active": "Active", "expired": "Expired", "revoked": "Revoked"}
STATUS_COLOURS = {
    "active": ("#0b6b2f", "#dcf3e3"),
    "expired": ("#7a5200", "#fdefc8"),
    "revoked": ("#a0221a", "#fbe1df"),
}
BADGE_STYLE = "display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600;color:{};background:{}"


def site_time(value: dt.datetime | None, site: Site, *, empty: str = "Never") -> str:
    """A moment as the site's owner reads it: `25 Mar 2026, 12:00 CET` in the site's time zone."""
    if value is None:
        return empty
    local = timezone.localtime(value, site.tzinfo)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def site_date(value: dt.datetime, site: Site) -> str:
    local = timezone.localtime(value, site.tzinfo)
    return f"{local.day} {local:%b %Y}"


def periods_text(share_token: ShareToken) -> str:
    return "All periods" if not share_token.allowed_periods else ", ".join(share_token.periods)


def status_badge(share_token: ShareToken, *, now: dt.datetime) -> SafeString:
    """Colour and word both carry the status, so it reads without colour too."""
    status = share_token.status(now)
    colour, background = STATUS_COLOURS[status]
    badge = format_html(
        '<span class="glimpse-status glimpse-status-{}" style="' + BADGE_STYLE + '">{}</span>',
        status,
        colour,
        background,
        STATUS_LABELS[status],
    )
    if share_token.is_being_replaced(now):
        return format_html(
            '{}<br><small class="glimpse-status-note">replaced, works until<br>{}</small>',
            badge,
            site_time(share_token.revoked_at, share_token.site),
        )
    return badge


def status_sentence(share_token: ShareToken, *, now: dt.datetime) -> str:
    site = share_token.site
    status = share_token.status(now)
    if status == "revoked":
        return f"Revoked on {site_time(share_token.revoked_at, site)}. A revoked link never works again."
    if status == "expired":
        return (
            f"Expired on {site_time(share_token.expires_at, site)}. "
            "An expired link cannot be renewed; create a new one instead."
        )
    if share_token.is_being_replaced(now):
        return f"Replaced by rotation. This link keeps working until {site_time(share_token.revoked_at, site)}."
    if share_token.expires_at is None:
        return "Works now and never expires."
    return f"Works now, until {site_time(share_token.expires_at, site)}."


def share_page_url(raw_token: str) -> str:
    return f"{settings.GLIMPSE_BASE_URL}/share/{raw_token}/"


def api_url(raw_token: str) -> str:
    return f"{settings.GLIMPSE_BASE_URL}/api/public/stats?{urlencode({'token': raw_token})}"
