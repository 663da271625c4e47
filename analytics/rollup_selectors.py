"""Statistics served fast: day periods from the rollups, the last 24 hours from raw rows.

A day period (`7d` … `365d`) is split by where each of its dates can be read exactly:
- dates with pageviews newer than the last roll-up (above the watermark) — normally
  just today, between two worker passes — are counted from the raw rows;
- the others from their `DailyRollup` totals and from as few `Breakdown` blocks
  (a day, or an aligned block of 2, 4, … 256 days) as tile them.
So a day the worker has not reached yet is never missing or stale, and the answer
always equals `raw_site_stats`, which the property tests check.

Adding visitor counts of different days is exact because a visitor id never spans
two local days of its site (SPEC section 2).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import TruncDate

from analytics.blocks import Block, block_last_day, covering_all, runs
from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, RollupWatermark, Site, SummedBlock
from analytics.periods import Window, window_for
from analytics.raw_counts import counts_per_date, days_window, dimension_counts, session_totals
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
    country_name,
    mean,
    percentage,
)

COUNT_COLUMNS = ("pageview_count", "visitor_count", "visit_count")


@dataclass(frozen=True)
class ListSpec:
    """How one list of the response is counted, ordered and cut."""

    dimension: Dimension
    order_by: str
    limit: int | None


PAGES = ListSpec(Dimension.PATH, "pageview_count", PAGES_LIMIT)
REFERRERS = ListSpec(Dimension.SOURCE, "visit_count", REFERRERS_LIMIT)
DEVICES = ListSpec(Dimension.DEVICE_TYPE, "visitor_count", None)
BROWSERS = ListSpec(Dimension.BROWSER, "visitor_count", BROWSERS_LIMIT)
COUNTRIES = ListSpec(Dimension.COUNTRY, "visitor_count", None)


@dataclass(frozen=True)
class Counts:
    """One value's counts; each list uses some of them (see `ListSpec`)."""

    key: str
    pageviews: int
    visitors: int
    visits: int


def code_point_collation() -> str:
    """The collation that sorts text by code point, as `analytics.stats.ascending_key` uses."""
    return connection.ops.quote_name("C" if connection.vendor == "postgresql" else "BINARY")


def summed_counts(parts: list[QuerySet], *, spec: ListSpec) -> list[Counts]:
    """Add up per-value rows from several sources, largest first, ties by key in code-point order.

    Each part selects key, pageview_count, visitor_count, visit_count. Django cannot
    aggregate over a UNION, so the parts are built with the ORM and only this outer
    sum is written out; it keeps the top-N cut in the database, where it stays cheap
    however many distinct values a site has.
    """
    if not parts:
        return []
    compiled = [part.query.sql_with_params() for part in parts]
    quote = connection.ops.quote_name
    key = quote("key")
    sums = ", ".join(f"SUM({quote(column)})" for column in COUNT_COLUMNS)
    sql = (
        f"SELECT {key}, {sums} FROM ({' UNION ALL '.join(sql for sql, _ in compiled)}) AS parts GROUP BY {key} "
        f"ORDER BY SUM({quote(spec.order_by)}) DESC, {key} COLLATE {code_point_collation()} ASC"
    )
    if spec.limit is not None:
        sql += f" LIMIT {int(spec.limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in compiled for param in params])
        return [Counts(key, int(pageviews), int(visitors), int(visits)) for key, pageviews, visitors, visits in cursor]


def current_watermark() -> int:
    return RollupWatermark.objects.values_list("pageview_id", flat=True).first() or 0


def days_with_pageviews(*, site: Site, after_id: int, through_id: int | None = None) -> set[dt.date]:
    """The local dates of `site`'s pageviews with an id in (after_id, through_id].

    Only an id range is given, so the primary key (or SQLite's rowid in the site
    index) finds the few rows past the watermark.
    """
    pageviews = Pageview.objects.filter(site=site, id__gt=after_id)
    if through_id is not None:
        pageviews = pageviews.filter(id__lte=through_id)
    days = pageviews.annotate(day=TruncDate("timestamp", tzinfo=site.tzinfo)).values_list("day", flat=True)
    return set(days.order_by().distinct())


def rolled_up_counts(blocks: list[Block], dimension: Dimension, *, site: Site) -> list[QuerySet]:
    """One part per block, each matching the whole `breakdown_block` index with equalities.

    A single query with an OR of the blocks needs planner statistics to use that index
    well: SQLite without a recent ANALYZE (the worker never runs one) would read every
    row of the site instead.
    """
    return [
        Breakdown.objects.filter(site=site, level=level, start=start, dimension=dimension)
        .values(key=F("value"), pageview_count=F("pageviews"), visitor_count=F("visitors"), visit_count=F("visits"))
        .order_by()
        for level, start in blocks
    ]


def blocks_for(days: list[dt.date], *, site: Site, days_with_data: set[dt.date]) -> list[Block]:
    """The blocks tiling `days` (all rolled up), leaving out the blocks without any data."""
    if not days:
        return []
    summed = set(
        SummedBlock.objects.filter(site=site, start__gte=days[0], start__lte=days[-1]).values_list("level", "start")
    )
    with_data = sorted(days_with_data)

    def has_data(block: Block) -> bool:
        first, last = block[1], block_last_day(block)
        return any(first <= day <= last for day in with_data)

    def usable(block: Block) -> bool:
        return block in summed or not has_data(block)

    return [block for block in covering_all(days, usable=usable) if has_data(block)]


def assemble(
    *,
    period: str,
    daily: list[DayRow],
    sessions: tuple[int, int, int],
    counts: dict[ListSpec, list[Counts]],
) -> SiteStats:
    session_count, bounces, duration = sessions
    return SiteStats(
        period=period,
        unique_visitors=sum(day.unique_visitors for day in daily),
        pageviews=sum(day.pageviews for day in daily),
        bounce_rate=percentage(bounces, session_count),
        avg_session_duration=mean(duration, session_count),
        pages=[PageRow(path=row.key, pageviews=row.pageviews, unique_visitors=row.visitors) for row in counts[PAGES]],
        referrers=[SourceRow(source=row.key, visits=row.visits) for row in counts[REFERRERS]],
        devices=[CountRow(key=row.key, count=row.visitors) for row in counts[DEVICES]],
        browsers=[CountRow(key=row.key, count=row.visitors) for row in counts[BROWSERS]],
        countries=[
            CountryRow(code=row.key, name=country_name(row.key), count=row.visitors)
            for row in counts[COUNTRIES]
            if row.key
        ],
        daily=daily,
    )


def day_rows(window: Window, per_date: dict[dt.date, tuple[int, int]]) -> list[DayRow]:
    """Every date of the window, zero-filled."""
    return [DayRow(day, *per_date.get(day, (0, 0))) for day in window.dates]


def ranked(parts_for: dict[ListSpec, list[QuerySet]]) -> dict[ListSpec, list[Counts]]:
    return {spec: summed_counts(parts, spec=spec) for spec, parts in parts_for.items()}


def rolled_up_site_stats(*, site: Site, period: str, now: dt.datetime) -> SiteStats:
    """A day period (`7d` … `365d`): equal, field for field, to `raw_site_stats`."""
    window = window_for(period, now=now, tz=site.tzinfo)
    raw_days = days_with_pageviews(site=site, after_id=current_watermark()) & set(window.dates)
    rolled_days = [day for day in window.dates if day not in raw_days]
    raw_windows = [days_window(first, last, site=site) for first, last in runs(raw_days)]

    per_date: dict[dt.date, tuple[int, int]] = {}
    sessions = (0, 0, 0)
    if raw_windows:
        per_date.update(counts_per_date(raw_windows, site=site))
        sessions = session_totals(raw_windows, site=site)
    if rolled_days:
        rolled = DailyRollup.objects.filter(site=site, day__gte=rolled_days[0], day__lte=rolled_days[-1])
        for day, pageviews, visitors, count, bounces, duration in rolled.values_list(
            "day", "pageviews", "visitors", "sessions", "bounces", "duration"
        ):
            if day not in raw_days:
                per_date[day] = (pageviews, visitors)
                sessions = (sessions[0] + count, sessions[1] + bounces, sessions[2] + duration)
    daily = day_rows(window, per_date)

    blocks = blocks_for(rolled_days, site=site, days_with_data={day for day in rolled_days if day in per_date})
    parts_for: dict[ListSpec, list[QuerySet]] = {}
    for spec in (PAGES, REFERRERS, DEVICES, BROWSERS, COUNTRIES):
        parts = rolled_up_counts(blocks, spec.dimension, site=site)
        if raw_windows:
            parts.append(dimension_counts(spec.dimension, raw_windows, site=site))
        parts_for[spec] = parts
    return assemble(period=period, daily=daily, sessions=sessions, counts=ranked(parts_for))


def last_24_hours_stats(*, site: Site, now: dt.datetime) -> SiteStats:
    """`24h`, from raw rows (a day of them at most): equal, field for field, to `raw_site_stats`."""
    window = window_for("24h", now=now, tz=site.tzinfo)
    per_date = counts_per_date([window], site=site)
    daily = day_rows(window, per_date)
    parts_for = {
        spec: [dimension_counts(spec.dimension, [window], site=site)]
        for spec in (PAGES, REFERRERS, DEVICES, BROWSERS, COUNTRIES)
    }
    return assemble(period="24h", daily=daily, sessions=session_totals([window], site=site), counts=ranked(parts_for))
