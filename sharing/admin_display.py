"""How share links look in the admin: times in the site's time zone, status badges, the URLs to hand out."""

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

from analytics.models import Site
from analytics.periods import Period
from sharing.formatting import format_date_range, format_moment
from sharing.models import ShareToken

STATUS_LABELS = {
    "active": gettext_lazy("Active"),
    "expired": gettext_lazy("Expired"),
    "revoked": gettext_lazy("Revoked"),
}
STATUS_COLOURS = {
    "active": ("#0b6b2f", "#dcf3e3"),
    "expired": ("#7a5200", "#fdefc8"),
    "revoked": ("#a0221a", "#fbe1df"),
}
BADGE_STYLE = "display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600;color:{};background:{}"


def site_time(value: dt.datetime | None, site: Site, *, empty: str = "") -> str:
    """A moment as the site's owner reads it: `25 Mar 2026, 12:00 CET` in the site's time zone."""
    if value is None:
        return empty or gettext("Never")
    return format_moment(timezone.localtime(value, site.tzinfo))


def site_date(value: dt.datetime, site: Site) -> str:
    local = timezone.localtime(value, site.tzinfo)
    return format_date_range(local.date(), local.date())


def periods_text(share_token: ShareToken) -> str:
    return gettext("All periods") if not share_token.allowed_periods else ", ".join(share_token.periods)


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
            '{}<br><small class="glimpse-status-note">{}</small>',
            badge,
            format_html(
                gettext("{replaced}, works until<br>{time}"),
                replaced=replacement_link(share_token, text=gettext("replaced")),
                time=site_time(share_token.revoked_at, share_token.site),
            ),
        )
    return badge


def replacement_link(share_token: ShareToken, *, text: str) -> SafeString:
    """`text`, linked to the link that replaced `share_token` when a rotation recorded one."""
    if share_token.replaced_by_id is None:
        return format_html("{}", text)
    url = reverse("admin:sharing_sharetoken_change", args=[share_token.replaced_by_id])
    return format_html('<a href="{}" class="glimpse-replacement">{}</a>', url, text)


def status_sentence(share_token: ShareToken, *, now: dt.datetime) -> str | SafeString:
    site = share_token.site
    status = share_token.status(now)
    if status == "revoked":
        return gettext("Revoked on %(time)s. A revoked link never works again.") % {
            "time": site_time(share_token.revoked_at, site)
        }
    if status == "expired":
        return gettext("Expired on %(time)s. An expired link cannot be renewed; create a new one instead.") % {
            "time": site_time(share_token.expires_at, site)
        }
    if share_token.is_being_replaced(now):
        return format_html(
            gettext("{link}. This link keeps working until {time}."),
            link=replacement_link(share_token, text=gettext("Replaced by rotation: see the new link")),
            time=site_time(share_token.revoked_at, site),
        )
    if share_token.expires_at is None:
        return gettext("Works now and never expires.")
    return gettext("Works now, until %(time)s.") % {"time": site_time(share_token.expires_at, site)}


def share_page_url(raw_token: str) -> str:
    """Without a period: the page opens on the link's own default (`ShareToken.default_period`)."""
    return f"{settings.GLIMPSE_BASE_URL}/share/{raw_token}/"


def api_url(raw_token: str, *, period: Period) -> str:
    """With an explicit period, so the copied URL works as copied: the API's own default, 7 days, may not be allowed."""
    return f"{settings.GLIMPSE_BASE_URL}/api/public/stats?{urlencode({'token': raw_token, 'period': period.value})}"


def embed_url(*, share_url: str, share_token: ShareToken) -> str:
    """The share page in embed mode on the link's default period; the admin's embed options add `theme` and
    `background` to it (static/glimpse/embed-options.js), as `sharing.page_options` reads them."""
    return f"{share_url}?period={share_token.default_period.value}&embed=1"


def iframe_snippet(*, share_url: str, share_token: ShareToken) -> str:
    """A ready `<iframe>` of the share page in embed mode, on the link's default period, with the host script
    (`/js/embed.js`) that grows the frame to its content: the height only matters without JavaScript."""
    return (
        f'<iframe src="{embed_url(share_url=share_url, share_token=share_token)}" '
        'title="Website statistics" width="100%" height="1400" style="border:0"></iframe>'
        f'<script async src="{settings.GLIMPSE_BASE_URL}/js/embed.js"></script>'
    )


def in_site_timezone(site: Site | None, view: Callable[[], HttpResponse]) -> HttpResponse:
    """Render a form page in the site's time zone, so the admin's date picker ("Now", its offset note)
    agrees with how the expiry is read. Template responses render lazily, hence the explicit render."""
    if site is None:
        return view()
    with timezone.override(site.tzinfo):
        response = view()
        if isinstance(response, TemplateResponse):
            response.render()
    return response
