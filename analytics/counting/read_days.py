"""Statistics served fast for the day periods (rollups, period totals); `24h` from raw rows, `last_day_stats`' fallback.

A day period (`7d` … `365d`) reads its dates' `DailyRollup` totals, and its lists from
the period's running totals (`analytics.counting.periods`) when these hold its days, less
the day rows of any day that left the period since the worker last moved it — one index
read per list, however many distinct values — else by summing the period's `Breakdown`
day rows (a site the worker has not summed totals for yet). Every batch of
pageviews updates the rollups in its own transaction (`analytics.aggregates`), so they
are never behind the raw rows, and the answer always equals `analytics.reference_stats`,
which the property tests check. Ranking, cuts and assembly come from
`analytics.metrics`, as for the reference.

Adding visitor counts of different days is exact because a visitor id never spans
two local days of its site (docs/definitions.md, "Visitors and sessions").
"""

import datetime as dt

from django.db import connections
from django.db.models import F, QuerySet

from analytics.counting.periods import period_fields
from analytics.counting.raw_reads import counts_per_date, dimension_counts, session_totals
from analytics.metrics import (
    COUNT_COLUMNS,
    PAGEVIEW_COUNT,
    VISIT_COUNT,
    VISITOR_COUNT,
    Counts,
    ListRule,
    SessionTotals,
    assemble_stats,
    code_point_collation,
    list_rules,
    ranked,
    zero_filled,
)
from analytics.models import Breakdown, DailyRollup, Dimension, PeriodTotal, PeriodWindow, Site
from analytics.periods import CLOCK_SKEW, Period, Window, local_midnight, span, window_for
from analytics.read_replicas import statistics_alias
from analytics.stats import SiteStats


def summed_counts(parts: list[QuerySet], *, rule: ListRule) -> list[Counts]:
    """Add up per-value rows from several sources, then rank, filter and cut them as `rule` says.

    Each part selects key and the `COUNT_COLUMNS`. Django cannot aggregate over a
    UNION, so the parts are built with the ORM and only this outer sum is written out;
    it keeps the top-N cut in the database, where it stays cheap however many distinct
    values a site has. A value whose ranked count sums to zero is left out, as the raw rows
    would have no row for it (an hourly row a session's visit moved away from); one whose
    sum is below zero is a day row subtracted from a totals row not read (`totals_less_days`).
    """
    if not parts:
        return []
    compiled = [part.query.sql_with_params() for part in parts]
    connection = connections[statistics_alias()]
    quote = connection.ops.quote_name
    key = quote("key")
    sums = ", ".join(f"SUM({quote(column)})" for column in COUNT_COLUMNS)
    where = f" WHERE {key} <> ''" if rule.leaves_out_unknown else ""
    sql = (
        f"SELECT {key}, {sums} FROM ({' UNION ALL '.join(sql for sql, _ in compiled)}) AS parts{where} "
        f"GROUP BY {key} HAVING SUM({quote(rule.ranked_by)}) > 0 "
        f"ORDER BY SUM({quote(rule.ranked_by)}) DESC, {key} COLLATE {quote(code_point_collation())} ASC"
    )
    if rule.limit is not None:
        sql += f" LIMIT {int(rule.limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in compiled for param in params])
        return [Counts(key, int(pageviews), int(visitors), int(visits)) for key, pageviews, visitors, visits in cursor]


def ranked_lists(parts_for: dict[ListRule, list[QuerySet]]) -> dict[str, list[Counts]]:
    return {rule.name: summed_counts(parts, rule=rule) for rule, parts in parts_for.items()}


def day_value_counts(first: dt.date, last: dt.date, dimension: Dimension, *, site: Site) -> QuerySet:
    """Per-value day rows of the days from `first` to `last`, one part as `summed_counts` sums them."""
    return (
        Breakdown.objects.filter(site=site, start__gte=first, start__lte=last, dimension=dimension)
        .values(
            key=F("value"), **{PAGEVIEW_COUNT: F("pageviews"), VISITOR_COUNT: F("visitors"), VISIT_COUNT: F("visits")}
        )
        .order_by()
    )


def day_rows_of_period(*, site: Site, days: list[dt.date]) -> dict[ListRule, list[QuerySet]]:
    """Each list's parts when the period totals cannot serve: the period's day rows, summed by `summed_counts`.

    Exact, and costs every day row of the period: a site the worker has not summed totals
    for yet, data stamped after today, a worker stopped for over a week.
    """
    return {rule: [day_value_counts(days[0], days[-1], rule.dimension, site=site)] for rule in list_rules()}


def rolled_up_site_stats(*, site: Site, period: Period, now: dt.datetime, with_lists: bool = True) -> SiteStats:
    """A day period (`7d` … `365d`); without its lists (left empty) when `with_lists` is off."""
    window = window_for(period, now=now, tz=site.tzinfo)
    days = list(window.dates)
    first_day = PeriodWindow.objects.filter(site=site, days=period.days).values_list("first_day", flat=True).first()
    per_date: dict[dt.date, tuple[int, int]] = {}
    outside: set[dt.date] = set()
    sessions = SessionTotals()
    since = days[0] if first_day is None else min(first_day, days[0])
    rolled = DailyRollup.objects.filter(site=site, day__gte=since)
    for day, pageviews, visitors, count, bounces, duration in rolled.values_list(
        "day", "pageviews", "visitors", "sessions", "bounces", "duration"
    ):
        if day < days[0] or day > days[-1]:
            outside.add(day)
            continue
        per_date[day] = (pageviews, visitors)
        sessions += SessionTotals(count, bounces, duration)
    if not with_lists:
        lists = {rule.name: [] for rule in list_rules()}
        return assembled(period=period, window=window, per_date=per_date, sessions=sessions, lists=lists)
    last_tolerated = (now + CLOCK_SKEW).astimezone(site.tzinfo).date()
    leaving = days_left_in_totals(
        first_day=first_day, window=window, days_with_data=outside, last_tolerated=last_tolerated
    )
    if leaving is not None:
        lists = {
            rule.name: totals_less_days(site=site, days=period.days, rule=rule, leaving=leaving)
            for rule in list_rules()
        }
        return assembled(period=period, window=window, per_date=per_date, sessions=sessions, lists=lists)
    parts_for = day_rows_of_period(site=site, days=days)
    return from_parts(period=period, window=window, per_date=per_date, sessions=sessions, parts_for=parts_for)


MOST_DAYS_SUBTRACTED = 7


def days_left_in_totals(
    *, first_day: dt.date | None, window: Window, days_with_data: set[dt.date], last_tolerated: dt.date
) -> list[dt.date] | None:
    """The days with data that the period totals count outside the window: subtracting their day rows from the
    totals gives the window's lists. None when the totals cannot give them that way.

    The totals count every day from `first_day` on. After a local midnight, until the worker
    moves the period on, they still count the day that just left it: that day's rows are
    subtracted at read time (one day of rows), so a reader never has to sum the period's day rows for it.
    `days_with_data` are the days with data from `first_day` on outside the window. A day
    after today up to `last_tolerated` (tomorrow's first events, stamped by a node whose clock
    runs up to `CLOCK_SKEW` ahead) is subtracted the same way; data further in the future,
    a `first_day` after the window's first day or more than `MOST_DAYS_SUBTRACTED` such days
    (the worker stopped for a week) send the reader to the period's day rows.
    """
    if first_day is None or first_day > window.dates[0]:
        return None
    if any(day > last_tolerated for day in days_with_data) or len(days_with_data) > MOST_DAYS_SUBTRACTED:
        return None
    return sorted(days_with_data)


def totals_less_days(*, site: Site, days: int, rule: ListRule, leaving: list[dt.date]) -> list[Counts]:
    """A period's list from its totals less the day rows of `leaving` (see `days_left_in_totals`).

    The pages list reads few totals rows, in two steps. Subtracting only lowers counts.
    First the values counting at least the totals' Nth largest count are taken, less their
    rows of `leaving`: the Nth largest of these, `cut`, is a count N values really have in
    the period, so the answer's Nth is at least `cut`. A value not read counted less than
    that before subtracting, and so after: the second step reads the totals rows counting
    at least `cut` (usually a few more than N) and ranks them, less their rows of
    `leaving`, exactly. The sum, ranking and cut are `summed_counts`'.
    """
    if not leaving:
        return ranked(period_totals(site=site, days=days, rule=rule), rule)
    subtracted = [
        Breakdown.objects.filter(site=site, start=day, dimension=rule.dimension)
        .values(
            key=F("value"),
            **{PAGEVIEW_COUNT: -F("pageviews"), VISITOR_COUNT: -F("visitors"), VISIT_COUNT: -F("visits")},
        )
        .order_by()
        for day in leaving
    ]
    first = nth_pageviews(site=site, days=days, rule=rule)
    if first is None:
        return summed_counts([period_totals(site=site, days=days, rule=rule), *subtracted], rule=rule)
    candidates = summed_counts([period_totals(site=site, days=days, rule=rule, at_least=first), *subtracted], rule=rule)
    cut = candidates[-1].pageviews if len(candidates) == rule.limit else 0
    if cut >= first:
        return candidates
    return summed_counts([period_totals(site=site, days=days, rule=rule, at_least=cut), *subtracted], rule=rule)


def nth_pageviews(*, site: Site, days: int, rule: ListRule) -> int | None:
    """The Nth largest pageview count in a period's totals for a list cut at N by pageviews; None for other lists
    or fewer than N values counting pageviews in the period. One short walk down the period's ranked index
    (`periodtotal_ranked_pages_<days>`), whatever the statistics say."""
    if rule.limit is None or rule.ranked_by != PAGEVIEW_COUNT:
        return None
    pageviews = period_columns(days)[PAGEVIEW_COUNT]
    rows = PeriodTotal.objects.filter(site=site, dimension=rule.dimension, **{f"{pageviews}__gt": 0})
    listed = rows.exclude(value="") if rule.leaves_out_unknown else rows
    nth = list(listed.order_by(f"-{pageviews}").values_list(pageviews, flat=True)[rule.limit - 1 : rule.limit])
    return nth[0] if nth else None


def period_totals(*, site: Site, days: int, rule: ListRule, at_least: int | None = None) -> QuerySet:
    """The rows of a period's totals as `ranked` takes them: those of values the period counts (its ranked count
    above zero; a row also carries the other periods' counts, and a value seen only before this period's first
    day has zeros here).

    A list ranked by pageviews (pages) is narrowed to the rows counting at least as many
    pageviews as its Nth (`nth_pageviews`), or as `at_least` when given, so a top N reads
    about N rows, not every value's row.
    """
    columns = period_columns(days)
    rows = PeriodTotal.objects.filter(site=site, dimension=rule.dimension, **{f"{columns[rule.ranked_by]}__gt": 0})
    floor = nth_pageviews(site=site, days=days, rule=rule) if at_least is None else at_least
    if floor is not None:
        rows = rows.filter(**{f"{columns[PAGEVIEW_COUNT]}__gte": floor})
    return rows.values(key=F("value"), **{name: F(column) for name, column in columns.items()})


def period_columns(days: int) -> dict[str, str]:
    """Each of `COUNT_COLUMNS` and the `PeriodTotal` field holding it for the period of `days` days."""
    return dict(zip(COUNT_COLUMNS, period_fields(days), strict=True))


def raw_last_24_hours_stats(*, site: Site, now: dt.datetime) -> SiteStats:
    """`24h` from raw rows (a day of them at most): what `analytics.counting.read_24h` falls back on."""
    window = window_for(Period.HOURS_24, now=now, tz=site.tzinfo)
    return from_parts(
        period=Period.HOURS_24,
        window=window,
        per_date=counts_per_date([window], site=site),
        sessions=session_totals([window], site=site),
        parts_for={rule: [dimension_counts(rule.dimension, [window], site=site)] for rule in list_rules()},
    )


def from_parts(
    *,
    period: Period,
    window: Window,
    per_date: dict[dt.date, tuple[int, int]],
    sessions: SessionTotals,
    parts_for: dict[ListRule, list[QuerySet]],
) -> SiteStats:
    return assembled(period=period, window=window, per_date=per_date, sessions=sessions, lists=ranked_lists(parts_for))


def assembled(
    *,
    period: Period,
    window: Window,
    per_date: dict[dt.date, tuple[int, int]],
    sessions: SessionTotals,
    lists: dict[str, list[Counts]],
) -> SiteStats:
    """Totals are the sums of the daily rows: exact, since a visitor id never spans two local days."""
    daily = zero_filled(window.dates, per_date)
    return assemble_stats(
        period=period,
        pageviews=sum(day.pageviews for day in daily),
        unique_visitors=sum(day.unique_visitors for day in daily),
        sessions=sessions,
        lists=lists,
        daily=daily,
    )


def days_window_headlines(*, site: Site, period: Period, window: Window) -> SiteStats:
    """A window of whole local days whose last day ends early: the whole days from their day rows, the
    last day's part from its raw rows (less than a day of them, as the previous `24h` reads).

    What a previous period is compared with (`analytics.comparisons`): the caller runs it in one snapshot.
    """
    tz = site.tzinfo
    *whole, last = window.dates
    per_date: dict[dt.date, tuple[int, int]] = {}
    sessions = SessionTotals()
    part = span(local_midnight(last, tz), window.end, tz=tz)
    for day, pageviews, visitors, count, bounces, duration in DailyRollup.objects.filter(
        site=site, day__in=whole
    ).values_list("day", "pageviews", "visitors", "sessions", "bounces", "duration"):
        per_date[day] = (pageviews, visitors)
        sessions += SessionTotals(count, bounces, duration)
    if part.end > part.start:
        per_date.update(counts_per_date([part], site=site))
        sessions += session_totals([part], site=site)
    daily = zero_filled(window.dates, per_date)
    return assemble_stats(
        period=period,
        pageviews=sum(day.pageviews for day in daily),
        unique_visitors=sum(day.unique_visitors for day in daily),
        sessions=sessions,
        lists={rule.name: [] for rule in list_rules()},
        daily=daily,
    )
