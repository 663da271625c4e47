"""The reference computation of a site's statistics, read straight from the collected rows.

Every number is one plain database aggregate over one site and one window, exactly as
docs/definitions.md defines it. Production serves `analytics.selectors.site_stats`
instead, which counts the cheap way; the property tests hold the two equal.
"""

import datetime as dt

from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import TruncDate

from analytics.metrics import (
    PAGEVIEW_COUNT,
    VISIT_COUNT,
    VISITOR_COUNT,
    assemble_stats,
    list_rules,
    ranked,
    session_totals_of,
    zero_filled,
)
from analytics.models import Dimension, Pageview, Session, Site
from analytics.periods import Period, window_for
from analytics.raw_counts import SESSION_FIELDS, pageviews_in, sessions_started_in
from analytics.stats import SiteStats


def dimension_rows(dimension: Dimension, *, pageviews: QuerySet[Pageview], sessions: QuerySet[Session]) -> QuerySet:
    """Per-value counts by definition: paths count pageviews and visitors, sources count the sessions they
    started, and session attributes count the distinct visitors of the window's pageviews."""
    zero = Value(0)
    if dimension == Dimension.PATH:
        return pageviews.values(key=F("path")).annotate(
            **{PAGEVIEW_COUNT: Count("id"), VISITOR_COUNT: Count("visitor_id", distinct=True), VISIT_COUNT: zero}
        )
    if dimension == Dimension.SOURCE:
        return sessions.values(key=F("source")).annotate(
            **{PAGEVIEW_COUNT: zero, VISITOR_COUNT: zero, VISIT_COUNT: Count("id")}
        )
    return pageviews.values(key=F(f"session__{SESSION_FIELDS[dimension]}")).annotate(
        **{PAGEVIEW_COUNT: zero, VISITOR_COUNT: Count("visitor_id", distinct=True), VISIT_COUNT: zero}
    )


def reference_site_stats(*, site: Site, period: Period | str, now: dt.datetime) -> SiteStats:
    period = Period(period)
    window = window_for(period, now=now, tz=site.tzinfo)
    pageviews = pageviews_in(site=site, window=window)
    sessions = sessions_started_in(site=site, window=window)
    totals = pageviews.aggregate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
    per_date = {
        row["day"]: (row["pageviews"], row["visitors"])
        for row in pageviews.annotate(day=TruncDate("timestamp", tzinfo=site.tzinfo))
        .values("day")
        .annotate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
        .order_by()
    }
    return assemble_stats(
        period=period,
        pageviews=totals["pageviews"],
        unique_visitors=totals["visitors"],
        sessions=session_totals_of(sessions),
        lists={
            rule.name: ranked(dimension_rows(rule.dimension, pageviews=pageviews, sessions=sessions), rule)
            for rule in list_rules()
        },
        daily=zero_filled(window.dates, per_date),
    )
