"""Statistics read straight from the collected pageviews and sessions.

This is the reference implementation of SPEC section 4: every number is an
aggregate computed by the database over one site and one time window.
"""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from analytics.models import Pageview, Session, Site
from analytics.periods import DAY_PERIODS, Window, window_for
from analytics.stats import (
    BROWSERS_LIMIT,
    PAGES_LIMIT,
    REFERRERS_LIMIT,
    CountRow,
    CountryRow,
    DayRow,
    PageRow,
    SiteStats,
    SourceRow,
    ascending_key,
    country_name,
    mean,
    percentage,
)


def pageviews_in(*, site: Site, window: Window) -> QuerySet[Pageview]:
    return Pageview.objects.filter(site=site, timestamp__gte=window.start, timestamp__lt=window.end)


def sessions_started_in(*, site: Site, window: Window) -> QuerySet[Session]:
    return Session.objects.filter(site=site, started_at__gte=window.start, started_at__lt=window.end)


def visitors_by(pageviews: QuerySet[Pageview], field: str, *, limit: int | None = None) -> list[CountRow]:
    """Distinct visitors per value of a session attribute, counted over the window's pageviews."""
    rows = (
        pageviews.values(key=F(f"session__{field}"))
        .annotate(count=Count("visitor_id", distinct=True))
        .order_by("-count", ascending_key("key"))
    )
    if field == "country":
        rows = rows.exclude(session__country="")
    if limit is not None:
        rows = rows[:limit]
    return [CountRow(key=row["key"], count=row["count"]) for row in rows]


def daily_series(pageviews: QuerySet[Pageview], *, window: Window, site: Site) -> list[DayRow]:
    per_day = {
        row["day"]: row
        for row in pageviews.annotate(day=TruncDate("timestamp", tzinfo=site.tzinfo))
        .values("day")
        .annotate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
        .order_by()
    }
    return [
        DayRow(
            date=day,
            pageviews=per_day[day]["pageviews"] if day in per_day else 0,
            unique_visitors=per_day[day]["visitors"] if day in per_day else 0,
        )
        for day in window.dates
    ]


def raw_site_stats(*, site: Site, period: str, now: dt.datetime) -> SiteStats:
    window = window_for(period, now=now, tz=site.tzinfo)
    pageviews = pageviews_in(site=site, window=window)
    sessions = sessions_started_in(site=site, window=window)

    totals = pageviews.aggregate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
    session_totals = sessions.aggregate(
        sessions=Count("id"), bounces=Count("id", filter=Q(pageviews=1)), duration=Sum("duration")
    )
    pages = (
        pageviews.values("path")
        .annotate(views=Count("id"), visitors=Count("visitor_id", distinct=True))
        .order_by("-views", ascending_key("path"))[:PAGES_LIMIT]
    )
    referrers = (sessions.values("source").annotate(visits=Count("id")).order_by("-visits", ascending_key("source")))[
        :REFERRERS_LIMIT
    ]

    return SiteStats(
        period=period,
        unique_visitors=totals["visitors"],
        pageviews=totals["pageviews"],
        bounce_rate=percentage(session_totals["bounces"], session_totals["sessions"]),
        avg_session_duration=mean(session_totals["duration"], session_totals["sessions"]),
        pages=[PageRow(path=row["path"], pageviews=row["views"], unique_visitors=row["visitors"]) for row in pages],
        referrers=[SourceRow(source=row["source"], visits=row["visits"]) for row in referrers],
        devices=visitors_by(pageviews, "device_type"),
        browsers=visitors_by(pageviews, "browser", limit=BROWSERS_LIMIT),
        countries=[
            CountryRow(code=row.key, name=country_name(row.key), count=row.count)
            for row in visitors_by(pageviews, "country")
        ],
        daily=daily_series(pageviews, window=window, site=site),
    )


def site_stats(*, site: Site, period: str, now: dt.datetime) -> SiteStats:
    """The statistics of `site` for `period` as of `now`.

    The day periods come from the rollups and `24h` (a day of rows at most) from the raw
    rows, both counted the cheap way; they equal `raw_site_stats`, the reference.
    """
    from analytics.rollup_selectors import last_24_hours_stats, rolled_up_site_stats  # they build on this module

    if period in DAY_PERIODS:
        return rolled_up_site_stats(site=site, period=period, now=now)
    return last_24_hours_stats(site=site, now=now)
