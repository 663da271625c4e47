"""`24h` from the hourly rollups: the window's first, partial hour from raw rows, the rest from whole hours and days.

The window [start, now) is cut at the first whole hour after its start (`first_hour`):

- [start, first_hour): its raw rows, or the hour's hourly rows minus the raw rows before
  `start`, whichever stretch is shorter (`first_hour_pieces`): at most half an hour of
  raw rows. Their visitors are the pageviews that are their visitor's latest
  (`Pageview.last_of_visitor`), and likewise per path and per session value; a visitor
  whose latest pageview comes later is counted by a later hour instead
  (`analytics.counting.hours`).
- [first_hour, now): per local date, its day rows where the date lies wholly in it, and
  otherwise hourly rows (`pieces_for`).

This rests on nothing being recorded after `now`, and on the hourly rows being there
from the window's start: otherwise (a `now` in the past, rows not kept that long, an
upgrade less than a day old) the window is counted from its raw rows, with the same result.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum, Value

from analytics.counting.counters import TOTAL_FIELDS, VALUE_FIELDS
from analytics.counting.hours import HOUR, SESSION_MARKS, kept_from
from analytics.counting.raw_reads import local_date, pageviews_in, sessions_started_in
from analytics.counting.read_days import day_value_counts, from_parts, raw_last_24_hours_stats
from analytics.counting.rule import hour_of
from analytics.metrics import (
    COUNT_COLUMNS,
    PAGEVIEW_COUNT,
    VISIT_COUNT,
    VISITOR_COUNT,
    SessionTotals,
    list_rules,
    session_totals_of,
)
from analytics.models import DailyRollup, Dimension, HourlyBreakdown, HourlyRollup, Pageview, Session, Site
from analytics.periods import CLOCK_SKEW, Period, Window, local_midnight, span, window_for
from analytics.stats import SiteStats


@dataclass(frozen=True)
class Piece:
    """Rows to add (sign 1) or take away (-1): a date's day rows, hourly rows of a date (or of every date, `day`
    None), or the raw rows of a stretch under an hour."""

    day: dt.date | None
    sign: int = 1
    hours: Q | None = None  # hourly rows matching this; None with no `raw`: the day rows
    raw: Window | None = None


def first_hour_pieces(window: Window, *, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, list[Piece]]:
    """The window's first, partial hour, and where its part inside the window is counted.

    Either from its raw rows after the window's start, or as its hourly rows minus its raw
    rows before the start: whichever is the shorter stretch, so at most half an hour of raw
    rows is read. Subtracting is exact for visitors too: the hourly rows count the visitors
    whose latest pageview is in the hour, the marked raw rows before the start those whose
    latest is there.
    """
    start = window.start
    hour = hour_of(start)
    if hour == start:
        return start, []
    first_hour = hour + HOUR
    if first_hour - start <= start - hour:
        return first_hour, [Piece(None, raw=span(start, first_hour, tz=tz))]
    return first_hour, [Piece(None, hours=Q(hour=hour)), Piece(None, sign=-1, raw=span(hour, start, tz=tz))]


def pieces_for(window: Window, *, first_hour: dt.datetime, tz: zoneinfo.ZoneInfo) -> list[Piece]:
    """The fewest rows that make up [first_hour, window end), date by date.

    A date that lies wholly after `first_hour` is its day rows. A date cut by it is either
    its hourly rows from `first_hour` on, or its day rows minus its hourly rows before
    `first_hour` — whichever has fewer hours, so no answer sums more than about 12 hours
    of hourly rows. Visitors subtract as they add: each is counted in one hour, its latest.
    """
    pieces = []
    for day in window.dates:
        starts, ends = local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz)
        if starts >= first_hour:
            pieces.append(Piece(day))
        elif ends > first_hour:
            if ends - first_hour <= first_hour - starts:
                pieces.append(Piece(day, hours=Q(hour__gte=first_hour, hour__lt=ends)))
            else:
                pieces += [Piece(day), Piece(day, sign=-1, hours=Q(hour__gte=hour_of(starts), hour__lt=first_hour))]
    return pieces


def hourly_rows_serve(*, site: Site, window: Window) -> bool:
    """Whether the hourly rows and marks cover the window's dates (the caller knows nothing lies after its end)."""
    kept = kept_from()
    return kept is None or hour_of(local_midnight(window.dates[0], site.tzinfo)) >= kept


def last_24_hours_stats(*, site: Site, now: dt.datetime) -> SiteStats:
    """The last 24 hours as of `now`; as of the site's latest pageview instead when another node's clock stamped it
    at most `CLOCK_SKEW` after `now`: such an event happened "now" for its node, and counting it keeps the fast
    path. A `now` with later data than that (a window in the past) is counted from raw rows."""
    latest = (
        Pageview.objects.filter(site=site, timestamp__gte=now)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
    ).first()
    if latest is not None and now < latest <= now + CLOCK_SKEW:
        now = latest + dt.timedelta(microseconds=1)
    window = window_for(Period.HOURS_24, now=now, tz=site.tzinfo)
    data_after_end = latest is not None and latest >= window.end
    if data_after_end or not hourly_rows_serve(site=site, window=window):
        return raw_last_24_hours_stats(site=site, now=now)
    first_hour, pieces = first_hour_pieces(window, tz=site.tzinfo)
    pieces += pieces_for(window, first_hour=first_hour, tz=site.tzinfo)

    per_date: dict[dt.date, tuple[int, int]] = {}
    sessions = SessionTotals()

    def add(day: dt.date, sign: int, pageviews: int, visitors: int) -> None:
        before = per_date.get(day, (0, 0))
        per_date[day] = (before[0] + sign * pageviews, before[1] + sign * visitors)

    whole_days = [piece.day for piece in pieces if piece.hours is None and piece.raw is None]
    for day in DailyRollup.objects.filter(site=site, day__in=whole_days):
        add(day.day, 1, day.pageviews, day.visitors)
        sessions += SessionTotals(day.sessions, day.bounces, day.duration)
    for piece in pieces:
        if piece.raw is not None:
            for row in raw_dates(site=site, raw=piece.raw):
                add(row["day"], piece.sign, row["pageviews"], row["visitors"])
            sessions += session_totals_of(sessions_started_in(site=site, window=piece.raw)) * piece.sign
        elif piece.hours is not None:
            hours = HourlyRollup.objects.filter(piece.hours, site=site)
            if piece.day is not None:
                hours = hours.filter(day=piece.day)
            sums = {f"{name}_sum": Sum(name) for name in TOTAL_FIELDS}
            for row in hours.values("day").annotate(**sums).order_by():
                add(row["day"], piece.sign, row["pageviews_sum"], row["visitors_sum"])
                totals = SessionTotals(row["sessions_sum"], row["bounces_sum"], row["duration_sum"])
                sessions += totals * piece.sign

    def parts(dimension: Dimension) -> list[QuerySet]:
        found = []
        for piece in pieces:
            if piece.raw is not None:
                found.append(raw_counts(dimension, site=site, raw=piece.raw, sign=piece.sign))
            elif piece.hours is None:
                found.append(day_value_counts(piece.day, piece.day, dimension, site=site))
            else:
                hourly = HourlyBreakdown.objects.filter(piece.hours, site=site, dimension=dimension)
                if piece.day is not None:
                    hourly = hourly.filter(day=piece.day)
                counts = {
                    column: F(name) if piece.sign > 0 else -F(name)
                    for column, name in zip(COUNT_COLUMNS, VALUE_FIELDS, strict=True)
                }
                found.append(hourly.values(key=F("value"), **counts).order_by())
        return found

    return from_parts(
        period=Period.HOURS_24,
        window=window,
        per_date={day: counts for day, counts in per_date.items() if day in window.dates},
        sessions=sessions,
        parts_for={rule: parts(rule.dimension) for rule in list_rules()},
    )


def raw_dates(*, site: Site, raw: Window) -> QuerySet:
    """Pageviews and visitors (marked latest rows) per local date in a stretch of raw rows."""
    return (
        pageviews_in(site=site, window=raw)
        .annotate(day=local_date("timestamp", [raw], site=site))
        .values("day")
        .annotate(pageviews=Count("id"), visitors=Count("id", filter=Q(last_of_visitor=True)))
        .order_by()
    )


def raw_counts(dimension: Dimension, *, site: Site, raw: Window, sign: int) -> QuerySet:
    """Per value, what a stretch of raw rows adds (or takes away): columns key and the count columns.

    Visitors are the marked rows: a visitor (per path, per session value) counts where its latest row is.
    """
    zero = Value(0)

    def count(**filters) -> Count:
        counted = Count("id", filter=Q(**filters)) if filters else Count("id")
        return counted if sign > 0 else counted * -1

    if dimension == Dimension.PATH:
        counts = pageviews_in(site=site, window=raw).values(key=F("path"))
        columns = {PAGEVIEW_COUNT: count(), VISITOR_COUNT: count(last_of_path=True), VISIT_COUNT: zero}
    elif dimension == Dimension.SOURCE:
        counts = sessions_started_in(site=site, window=raw).values(key=F("source"))
        columns = {PAGEVIEW_COUNT: zero, VISITOR_COUNT: zero, VISIT_COUNT: count()}
    else:
        name, mark = SESSION_MARKS[dimension]
        counts = Session.objects.filter(
            site=site, ended_at__gte=raw.start, ended_at__lt=raw.end, **{mark: True}
        ).values(key=F(name))
        columns = {PAGEVIEW_COUNT: zero, VISITOR_COUNT: count(), VISIT_COUNT: zero}
    return counts.annotate(**columns).order_by()
