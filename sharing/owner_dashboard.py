"""A site's owner looks at their own numbers: the dashboard and the setup check, both behind the admin login.

The dashboard is the share page's dashboard for any period (with the previous period to compare
and 24 hours hour by hour), computed at most a minute before (`owner_stats`), with what is
happening right now on top: visitors in the last five minutes and how long ago the last
pageview arrived (`analytics.live`). The setup check is that live part as JSON, which the site
page and the dashboard poll so they change without a reload. The Site admin
(`sharing.admin_sites`) scopes both to the user's own sites before they run.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from analytics.live import LiveActivity, live_activity
from analytics.models import Site
from analytics.periods import DEFAULT_PERIOD, Period
from sharing.dashboard import Dashboard, PeriodUrl, build_dashboard
from sharing.stats_cache import OWNER_STATS_SECONDS, cached_hourly, cached_previous_stats, owner_stats

POLL_SECONDS = 5


def ago_text(seconds: int) -> str:
    """`12 s`, `3 min`, `5 h`, `2 days`: seconds while they matter, then coarser."""
    if seconds < 120:
        return gettext("%(count)s s") % {"count": seconds}
    if seconds < 120 * 60:
        return gettext("%(count)s min") % {"count": seconds // 60}
    if seconds < 48 * 3600:
        return gettext("%(count)s h") % {"count": seconds // 3600}
    return ngettext("%(count)s day", "%(count)s days", seconds // 86400) % {"count": seconds // 86400}


def last_pageview_text(activity: LiveActivity) -> str:
    seconds = activity.seconds_since_last_pageview
    if seconds is None:
        return gettext("No pageview yet")
    return gettext("Last pageview received %(time)s ago") % {"time": ago_text(seconds)}


def setup_check_payload(activity: LiveActivity) -> dict:
    """`receiving` turns true with the first pageview the site ever receives."""
    receiving = activity.last_pageview_at is not None
    return {
        "status": "receiving" if receiving else "waiting",
        "message": (
            gettext("Receiving pageviews. %(last)s.") % {"last": last_pageview_text(activity)}
            if receiving
            else gettext("Waiting for the first pageview…")
        ),
        "visitorsLast5Minutes": activity.visitors_last_5_minutes,
        "lastPageviewAt": activity.last_pageview_at.isoformat().replace("+00:00", "Z") if receiving else None,
        "secondsSinceLastPageview": activity.seconds_since_last_pageview,
        "lastPageviewText": last_pageview_text(activity),
    }


def setup_check(*, site: Site, now: dt.datetime) -> JsonResponse:
    """Admin views already send `Cache-Control: no-store`: a poll always reaches the server."""
    return JsonResponse(setup_check_payload(live_activity(site=site, now=now)))


@dataclass(frozen=True)
class OwnerDashboard:
    site: Site
    period: Period
    dashboard: Dashboard
    live: LiveActivity
    setup_check: dict
    setup_check_url: str
    new_link_url: str


def owner_period_url(site: Site) -> PeriodUrl:
    base = reverse("admin:analytics_site_dashboard", args=[site.pk])
    return lambda period: f"{base}?period={period.value}"


def new_link_url(*, site: Site, period: Period) -> str:
    """The share-link form with this site and period filled in."""
    query = urlencode({"site": site.pk, "allowed_periods": period.value})
    return f"{reverse('admin:sharing_sharetoken_add')}?{query}"


def build_owner_dashboard(*, site: Site, period: Period, now: dt.datetime) -> OwnerDashboard:
    stats = owner_stats(site=site, period=period, now=now)
    live = live_activity(site=site, now=now)
    per_hour = period.days is None
    return OwnerDashboard(
        site=site,
        period=period,
        dashboard=build_dashboard(
            site=site,
            periods=list(Period),
            period=period,
            stats=stats.stats,
            computed_at=stats.computed_at,
            period_url=owner_period_url(site),
            previous=cached_previous_stats(site=site, period=period, of=stats),
            hourly=cached_hourly(site=site, of=stats) if per_hour else None,
            previous_hourly=cached_hourly(site=site, of=stats, previous=True) if per_hour else None,
        ),
        live=live,
        setup_check=setup_check_payload(live),
        setup_check_url=reverse("admin:analytics_site_setup_check", args=[site.pk]),
        new_link_url=new_link_url(site=site, period=period),
    )


def dashboard_page(
    request: HttpRequest, *, site: Site, context: dict, can_create_links: bool, now: dt.datetime
) -> HttpResponse:
    """Any unknown `period` falls back to 7 days: every member may look at every period.

    `can_create_links` is false for a viewer, whose page then offers no share-link button.
    """
    period = Period.parse(request.GET.get("period", "")) or DEFAULT_PERIOD
    owner = build_owner_dashboard(site=site, period=period, now=now)
    return TemplateResponse(
        request,
        "sharing/owner_dashboard.html",
        {
            **context,
            "owner": owner,
            "dashboard": owner.dashboard,
            "can_create_links": can_create_links,
            "poll_seconds": POLL_SECONDS,
            "fresh_seconds": OWNER_STATS_SECONDS,
        },
    )
