"""Counting the raw rows of a few time windows (whole local days, or the last 24 hours) quickly.

These are the counting primitives of the fast path. They give the numbers
`analytics.reference_stats` defines, with two shortcuts that rest on how sessions are
built (docs/definitions.md, "Visitors and sessions"):

- A visitor id lives within one local day, so a session — one visitor's pageviews,
  each less than 30 minutes after the last — starts and ends on that day; and its
  `started_at`/`ended_at` are its first and last pageview. For a window of whole days
  or 24 hours, "the session has a pageview in the window" is then the same as "its
  [started_at, ended_at] overlaps the window", so device, browser and country
  visitors are counted from sessions alone instead of joining every pageview.
- Local dates come from comparisons with the local midnights the windows touch
  (a CASE), not from a time-zone conversion per row, which SQLite runs in Python.
"""

import datetime as dt
import operator
from functools import reduce

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Value, When

from analytics.metrics import PAGEVIEW_COUNT, VISIT_COUNT, VISITOR_COUNT, SessionTotals, session_totals_of
from analytics.models import Dimension, Pageview, Session, Site
from analytics.periods import Window, local_midnight

SESSION_FIELDS = {Dimension.DEVICE_TYPE: "device_type", Dimension.BROWSER: "browser", Dimension.COUNTRY: "country"}


def pageviews_in(*, site: Site, window: Window) -> QuerySet[Pageview]:
    return Pageview.objects.filter(site=site, timestamp__gte=window.start, timestamp__lt=window.end)


def sessions_started_in(*, site: Site, window: Window) -> QuerySet[Session]:
    """Sessions belong to the window in which they start."""
    return Session.objects.filter(site=site, started_at__gte=window.start, started_at__lt=window.end)


def pageviews_within(windows: list[Window], *, site: Site) -> QuerySet[Pageview]:
    return reduce(operator.or_, (pageviews_in(site=site, window=window) for window in windows))


def sessions_started_within(windows: list[Window], *, site: Site) -> QuerySet[Session]:
    return reduce(operator.or_, (sessions_started_in(site=site, window=window) for window in windows))


def sessions_seen_within(windows: list[Window], *, site: Site) -> QuerySet[Session]:
    """Sessions with a pageview in the windows: those overlapping them, started on a date they touch."""
    tz = site.tzinfo
    overlapping = [
        Q(started_at__gte=local_midnight(window.dates[0], tz), started_at__lt=window.end, ended_at__gte=window.start)
        for window in windows
    ]
    return Session.objects.filter(reduce(operator.or_, overlapping), site=site)


def local_date(field: str, windows: list[Window], *, site: Site) -> Case:
    """The local date of `field`, for rows inside the windows."""
    tz = site.tzinfo
    dates = sorted({day for window in windows for day in window.dates})
    return Case(
        *(When(**{f"{field}__lt": local_midnight(day + dt.timedelta(days=1), tz)}, then=Value(day)) for day in dates),
        output_field=DateField(),
    )


def counts_per_date(windows: list[Window], *, site: Site) -> dict[dt.date, tuple[int, int]]:
    """(pageviews, distinct visitors) per local date, counting only rows inside the windows."""
    rows = (
        pageviews_within(windows, site=site)
        .annotate(day=local_date("timestamp", windows, site=site))
        .values("day")
        .annotate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
        .order_by()
    )
    return {row["day"]: (row["pageviews"], row["visitors"]) for row in rows}


def session_totals(windows: list[Window], *, site: Site) -> SessionTotals:
    return session_totals_of(sessions_started_within(windows, site=site))


def dimension_counts(dimension: Dimension, windows: list[Window], *, site: Site) -> QuerySet:
    """Per-value counts of one dimension in the windows: columns key and `analytics.metrics.COUNT_COLUMNS`."""
    zero = Value(0)
    if dimension == Dimension.PATH:
        counts = (
            pageviews_within(windows, site=site)
            .values(key=F("path"))
            .annotate(
                **{PAGEVIEW_COUNT: Count("id"), VISITOR_COUNT: Count("visitor_id", distinct=True), VISIT_COUNT: zero}
            )
        )
    elif dimension == Dimension.SOURCE:
        counts = (
            sessions_started_within(windows, site=site)
            .values(key=F("source"))
            .annotate(**{PAGEVIEW_COUNT: zero, VISITOR_COUNT: zero, VISIT_COUNT: Count("id")})
        )
    else:
        counts = (
            sessions_seen_within(windows, site=site)
            .values(key=F(SESSION_FIELDS[dimension]))
            .annotate(**{PAGEVIEW_COUNT: zero, VISITOR_COUNT: Count("visitor_id", distinct=True), VISIT_COUNT: zero})
        )
    return counts.order_by()
