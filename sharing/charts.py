"""Geometry of the share page's chart (per day, or per hour for 24 hours), drawn as server-side SVG.

Positions are percentages of the plot area, so the SVG needs no viewBox for its
bars, dots and labels: text stays at its CSS size from a 360 px phone to a wide
screen, the chart works without JavaScript, and no inline style is needed
(the page's Content-Security-Policy forbids them).
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.translation import gettext, pgettext

from analytics.hourly import HourRow
from analytics.stats import DayRow
from sharing.formatting import (
    format_clock,
    format_compact,
    format_count,
    format_date_pattern,
    format_date_range,
    format_day,
    format_hour_span,
)

Y_INTERVALS = 4
MAX_DAYS_WITH_DOTS = 31
EDGE_PERCENT = 6
# Labels beyond this many are thinned to every other one on phones (CSS hides the `minor` ones).
MAX_PHONE_LABELS = 4
# Beyond this many columns each day carries only its bar (see `DailyChart.compact`).
MAX_FULL_COLUMNS = 92


@dataclass(frozen=True)
class Bucket:
    """One column of the chart: a day or an hour, with the numbers of the same column of the previous period."""

    key: str  # what `<time datetime>` says: an ISO date, or an hour's start
    label: str
    axis_label: str
    pageviews: int
    unique_visitors: int
    partial: bool = False
    previous_label: str = ""
    previous_pageviews: int | None = None


@dataclass(frozen=True)
class ChartDay:
    date: dt.date | str
    label: str
    pageviews: str
    visitors: str
    column_x: str
    column_width: str
    bar_x: str
    bar_width: str
    bar_y: str
    bar_height: str
    dot_x: str
    dot_y: str
    partial: bool = False
    previous_label: str = ""
    previous_pageviews: str = ""


@dataclass(frozen=True)
class AxisTick:
    position: str
    label: str
    minor: bool
    anchor: str = "middle"


@dataclass(frozen=True)
class DailyChart:
    days: list[ChartDay]
    y_ticks: list[AxisTick]
    x_ticks: list[AxisTick]
    line_view_box: str
    line_points: str
    show_dots: bool
    many_days: bool
    has_data: bool
    summary: str
    unit: str = "day"
    previous_points: str = ""
    has_partial: bool = False
    # Today, still running, is never drawn as a drop: the line stops at yesterday, a dashed segment and a hollow
    # dot lead to today's figure so far (plot percentages for the dot, like every other dot).
    partial_points: str = ""
    partial_dot: tuple[str, str] | None = None
    # A quarter or a year is drawn lean (docs/share-page.md, "Page weight"): a bar per day and nothing else,
    # the tooltip reading its figures from the table below, so 365 days stay far under 100 KB of HTML.
    compact: bool = False

    @property
    def per_hour(self) -> bool:
        return self.unit == "hour"


def pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def nice_step(peak: int, *, intervals: int = Y_INTERVALS) -> int:
    """The smallest round whole step (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 25, …) whose `intervals` multiples reach `peak`.

    Fine-grained steps keep the tallest bar near the top of the chart instead of halfway up.
    """
    if peak <= intervals:
        return 1
    raw = peak / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    multipliers = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if magnitude >= 10 else (1, 2, 3, 4, 5, 6, 8, 10)
    return next(int(m * magnitude) for m in multipliers if m * magnitude >= raw)


def x_tick_indices(dates: list[dt.date]) -> list[int]:
    """Which days get a label: every day for a week, then every 5th or 14th day counted back from today, or months."""
    count = len(dates)
    if count > 92:
        return [index for index, day in enumerate(dates) if day.day == 1]
    step = 1 if count <= 7 else 5 if count <= 31 else 14
    return sorted(range(count - 1, -1, -step))


def x_tick_label(day: dt.date, *, count: int) -> str:
    if count <= 7:
        return format_date_pattern(day, pgettext("CLDR date pattern of an axis label: weekday and day", "EEE d"))
    if count <= 92:
        return format_date_pattern(day, pgettext("CLDR date pattern of an axis label: day and month", "d MMM"))
    if day.month == 1:
        return format_date_pattern(day, pgettext("CLDR date pattern of an axis label: month and year", "MMM y"))
    return format_date_pattern(day, pgettext("CLDR date pattern of an axis label: month", "MMM"))


def x_tick(*, index: int, column: float, label: str, minor: bool) -> AxisTick:
    """A label centred under its day, except at the plot's edges, where it aligns inwards so it is never cut off."""
    centre = (index + 0.5) * column
    if centre < EDGE_PERCENT:
        return AxisTick(position=pct(index * column), label=label, minor=minor, anchor="start")
    if centre > 100 - EDGE_PERCENT:
        return AxisTick(position=pct((index + 1) * column), label=label, minor=minor, anchor="end")
    return AxisTick(position=pct(centre), label=label, minor=minor)


def aligned(previous: list | None, count: int) -> list:
    """The previous period's rows, one per column (column N against row N), None where it has none."""
    rows = list(previous or [])[:count]
    return rows + [None] * (count - len(rows))


def day_label(day: dt.date, *, today: dt.date | None) -> str:
    return gettext("%(day)s (so far)") % {"day": format_day(day)} if day == today else format_day(day)


def daily_chart(
    daily: list[DayRow], *, today: dt.date | None = None, previous: list[DayRow] | None = None
) -> DailyChart:
    """Pageviews as bars, unique visitors as a line, on one shared axis (visitors never exceed pageviews).

    `today` marks that day's column as partial (the day is still running); `previous`, the same
    number of days just before, is drawn as a faint line of its pageviews, day N against day N.
    """
    count = len(daily)
    buckets = [
        Bucket(
            key=row.date.isoformat(),
            label=gettext("%(day)s (so far)") % {"day": format_day(row.date)}
            if row.date == today
            else format_day(row.date),
            axis_label=x_tick_label(row.date, count=count),
            pageviews=row.pageviews,
            unique_visitors=row.unique_visitors,
            partial=row.date == today,
            previous_label=format_day(before.date) if before else "",
            previous_pageviews=before.pageviews if before else None,
        )
        for row, before in zip(daily, aligned(previous, count), strict=True)
    ]
    return bucket_chart(
        buckets,
        tick_indices=x_tick_indices([row.date for row in daily]),
        summary=chart_summary(daily, [row.date for row in daily]),
    )


def hourly_chart(hours: list[HourRow], *, previous: list[HourRow] | None = None) -> DailyChart:
    """The last 24 hours, one column per hour, labelled every fourth hour counting back from the latest."""
    buckets = [
        Bucket(
            key=row.start.isoformat(),
            label=format_hour_span(row.start),
            axis_label=format_clock(row.start),
            pageviews=row.pageviews,
            unique_visitors=row.unique_visitors,
            previous_label=format_hour_span(before.start) if before else "",
            previous_pageviews=before.pageviews if before else None,
        )
        for row, before in zip(hours, aligned(previous, len(hours)), strict=True)
    ]
    return bucket_chart(
        buckets,
        tick_indices=sorted(range(len(hours) - 1, -1, -4)),
        summary=hourly_summary(hours),
        unit="hour",
    )


def bucket_chart(buckets: list[Bucket], *, tick_indices: list[int], summary: str, unit: str = "day") -> DailyChart:
    count = len(buckets)
    has_previous = any(bucket.previous_pageviews is not None for bucket in buckets)
    peak = max(
        (max(bucket.pageviews, bucket.unique_visitors, bucket.previous_pageviews or 0) for bucket in buckets),
        default=0,
    )
    step = nice_step(peak)
    top = step * Y_INTERVALS
    column = 100 / count if count else 100
    # Wide bars for a week or a month; for a quarter or a year they touch and read as an area.
    bar_share = 0.64 if count <= MAX_DAYS_WITH_DOTS else 0.8 if count <= 92 else 1.0

    def height(value: int) -> float:
        return 100 * value / top

    points = [f"{index + 0.5},{pct(100 - height(bucket.unique_visitors))}" for index, bucket in enumerate(buckets)]
    partial_last = count > 1 and buckets[-1].partial

    days = [
        ChartDay(
            date=bucket.key,
            label=bucket.label,
            pageviews=format_count(bucket.pageviews),
            visitors=format_count(bucket.unique_visitors),
            column_x=pct(index * column),
            column_width=pct(column),
            bar_x=pct((index + (1 - bar_share) / 2) * column),
            bar_width=pct(bar_share * column),
            bar_y=pct(100 - height(bucket.pageviews)),
            bar_height=pct(height(bucket.pageviews)),
            dot_x=pct((index + 0.5) * column),
            dot_y=pct(100 - height(bucket.unique_visitors)),
            partial=bucket.partial,
            previous_label=bucket.previous_label,
            previous_pageviews="" if bucket.previous_pageviews is None else format_count(bucket.previous_pageviews),
        )
        for index, bucket in enumerate(buckets)
    ]
    return DailyChart(
        days=days,
        y_ticks=[
            AxisTick(position=pct(100 - 100 * n / Y_INTERVALS), label=format_compact(n * step), minor=False)
            for n in range(Y_INTERVALS + 1)
        ],
        x_ticks=[
            x_tick(
                index=index,
                column=column,
                label=buckets[index].axis_label,
                minor=len(tick_indices) > MAX_PHONE_LABELS and (len(tick_indices) - 1 - position) % 2 == 1,
            )
            for position, index in enumerate(tick_indices)
        ],
        line_view_box=f"0 0 {max(count, 1)} 100",
        line_points=" ".join(points[:-1] if partial_last else points),
        partial_points=" ".join(points[-2:]) if partial_last else "",
        partial_dot=(days[-1].dot_x, days[-1].dot_y) if buckets and buckets[-1].partial else None,
        show_dots=count <= MAX_DAYS_WITH_DOTS,
        many_days=count > 14,
        has_data=peak > 0,
        summary=summary,
        unit=unit,
        previous_points=" ".join(
            f"{index + 0.5},{pct(100 - height(bucket.previous_pageviews or 0))}" for index, bucket in enumerate(buckets)
        )
        if has_previous
        else "",
        has_partial=any(bucket.partial for bucket in buckets),
        compact=count > MAX_FULL_COLUMNS,
    )


def chart_summary(daily: list[DayRow], dates: list[dt.date]) -> str:
    """One sentence a screen reader can give instead of the picture."""
    if not daily:
        return gettext("No data for this period.")
    span = format_date_range(dates[0], dates[-1])
    busiest_index = max(range(len(daily)), key=lambda index: (daily[index].pageviews, index))
    busiest = daily[busiest_index]
    if busiest.pageviews == 0:
        return gettext("Daily pageviews and unique visitors, %(span)s: no visits in this period.") % {"span": span}
    return gettext(
        "Daily pageviews and unique visitors, %(span)s. Busiest day: %(day)s, "
        "with %(pageviews)s pageviews and %(visitors)s unique visitors."
    ) % {
        "span": span,
        "day": format_day(dates[busiest_index]),
        "pageviews": format_count(busiest.pageviews),
        "visitors": format_count(busiest.unique_visitors),
    }


def hourly_summary(hours: list[HourRow]) -> str:
    if not hours:
        return gettext("No data for this period.")
    span = gettext("%(first)s to %(last)s") % {
        "first": format_hour_span(hours[0].start),
        "last": format_hour_span(hours[-1].start),
    }
    busiest = max(hours, key=lambda row: (row.pageviews, row.start))
    if busiest.pageviews == 0:
        return gettext("Hourly pageviews and unique visitors, %(span)s: no visits in these 24 hours.") % {"span": span}
    return gettext(
        "Hourly pageviews and unique visitors, %(span)s. Busiest hour: %(hour)s, "
        "with %(pageviews)s pageviews and %(visitors)s unique visitors."
    ) % {
        "span": span,
        "hour": format_hour_span(busiest.start),
        "pageviews": format_count(busiest.pageviews),
        "visitors": format_count(busiest.unique_visitors),
    }
