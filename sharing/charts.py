"""Geometry of the share page's chart (per day, or per hour for 24 hours), drawn as server-side SVG.

Positions are percentages of the plot area, so the SVG needs no viewBox for its
bars, dots and labels: text stays at its CSS size from a 360 px phone to a wide
screen, the chart works without JavaScript, and no inline style is needed
(the page's Content-Security-Policy forbids them).
"""

import datetime as dt
import json
import math
from dataclasses import dataclass, field

from django.utils.translation import gettext, pgettext

from analytics.hourly import HourRow
from analytics.stats import DayRow
from sharing.formatting import (
    count_formatter,
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
    # A quarter or a year is drawn lean (docs/share-page.md, "Page weight"): its bars are one outline (`bars_path`,
    # in the lines' view box), `days` holds only today's partial column, and the figures of every day are
    # `rows` (label, pageviews, visitors, and the previous period's pageviews when compared), which the page
    # embeds as JSON for the browser to make the daily table from, so 365 days stay far under 100 KB of HTML.
    compact: bool = False
    bars_path: str = ""
    rows: list[list[str]] = field(default_factory=list)

    @property
    def per_hour(self) -> bool:
        return self.unit == "hour"

    @property
    def rows_json(self) -> str:
        return script_json(self.rows)


def script_json(value: object) -> str:
    """JSON to embed in `<script type="application/json">`, as Django's `json_script` escapes it (no `<`, `>` or `&`
    to end the element early), but compact and with letters as UTF-8: a year of Japanese or Arabic dates would
    otherwise weigh six bytes a letter in `\\uXXXX` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


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
    tick_indices = x_tick_indices([row.date for row in daily])
    ticked = set(tick_indices)
    # A lean chart's tooltip names the previous period by its column heading, not day by day.
    compact = count > MAX_FULL_COLUMNS
    buckets = [
        Bucket(
            key=row.date.isoformat(),
            label=day_label(row.date, today=today),
            axis_label=x_tick_label(row.date, count=count) if index in ticked else "",
            pageviews=row.pageviews,
            unique_visitors=row.unique_visitors,
            partial=row.date == today,
            previous_label=format_day(before.date) if before and not compact else "",
            previous_pageviews=before.pageviews if before else None,
        )
        for index, (row, before) in enumerate(zip(daily, aligned(previous, count), strict=True))
    ]
    return bucket_chart(buckets, tick_indices=tick_indices, summary=chart_summary(daily, [row.date for row in daily]))


def hour_label(row: HourRow, *, last: bool) -> str:
    """`Wed 18 Mar, 14:00-15:00`; the window's first hour, counted from the window's start, says it is part of an
    hour, and the hour still running says "so far"."""
    span = format_hour_span(row.counted_from, row.counted_until)
    if not row.partial:
        return span
    if last:
        return gettext("%(day)s (so far)") % {"day": span}
    return gettext("%(hours)s (part of the hour)") % {"hours": span}


def hour_ticks(hours: list[HourRow]) -> tuple[list[int], set[int]]:
    """Every fourth clock hour (00:00, 04:00, …) gets a label, and every eighth one on phones too, midnight
    among them, which is labelled with its date (the window crosses it). The second set is the phone's."""
    ticks = [index for index, row in enumerate(hours) if row.start.hour % 4 == 0]
    return ticks, {index for index in ticks if hours[index].start.hour % 8 == 0}


def hour_axis_label(row: HourRow) -> str:
    if row.start.hour == 0:
        return format_date_pattern(
            row.start.date(), pgettext("CLDR date pattern of an axis label: weekday and day", "EEE d")
        )
    return format_clock(row.start)


def hourly_chart(hours: list[HourRow], *, previous: list[HourRow] | None = None) -> DailyChart:
    """The last 24 hours, one column per clock hour (the window's first and the running hour partial), labelled
    every fourth hour, with the date at midnight."""
    ticks, phone_ticks = hour_ticks(hours)
    buckets = [
        Bucket(
            key=row.start.isoformat(),
            label=hour_label(row, last=index == len(hours) - 1),
            axis_label=hour_axis_label(row) if index in ticks else "",
            pageviews=row.pageviews,
            unique_visitors=row.unique_visitors,
            partial=row.partial,
            previous_label=hour_label(before, last=False) if before else "",
            previous_pageviews=before.pageviews if before else None,
        )
        for index, (row, before) in enumerate(zip(hours, aligned(previous, len(hours)), strict=True))
    ]
    return bucket_chart(
        buckets, tick_indices=ticks, summary=hourly_summary(hours), unit="hour", phone_ticks=phone_ticks
    )


def bucket_chart(
    buckets: list[Bucket],
    *,
    tick_indices: list[int],
    summary: str,
    unit: str = "day",
    phone_ticks: set[int] | None = None,
) -> DailyChart:
    """`phone_ticks`, the labels a phone shows too; by default every other one, counting back from the last, once
    there are more than a phone has room for."""
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

    count_text = count_formatter()

    def previous_text(bucket: Bucket) -> str:
        return "" if bucket.previous_pageviews is None else count_text(bucket.previous_pageviews)

    def chart_day(index: int, bucket: Bucket) -> ChartDay:
        return ChartDay(
            date=bucket.key,
            label=bucket.label,
            pageviews=count_text(bucket.pageviews),
            visitors=count_text(bucket.unique_visitors),
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
            previous_pageviews=previous_text(bucket),
        )

    compact = count > MAX_FULL_COLUMNS
    bars_path, rows = "", []
    if compact:
        days = [chart_day(count - 1, buckets[-1])] if partial_last else []
        bars_path = step_path(
            [100 - height(bucket.pageviews) for bucket in buckets[: count - 1 if partial_last else count]]
        )
        rows = [
            [bucket.label, count_text(bucket.pageviews), count_text(bucket.unique_visitors)]
            + ([previous_text(bucket)] if has_previous else [])
            for bucket in buckets
        ]
    else:
        days = [chart_day(index, bucket) for index, bucket in enumerate(buckets)]
    last_dot = (pct((count - 0.5) * column), pct(100 - height(buckets[-1].unique_visitors))) if buckets else None
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
                minor=index not in phone_ticks
                if phone_ticks is not None
                else len(tick_indices) > MAX_PHONE_LABELS and (len(tick_indices) - 1 - position) % 2 == 1,
            )
            for position, index in enumerate(tick_indices)
        ],
        line_view_box=f"0 0 {max(count, 1)} 100",
        line_points=" ".join(points[:-1] if partial_last else points),
        partial_points=" ".join(points[-2:]) if partial_last else "",
        partial_dot=last_dot if buckets and buckets[-1].partial else None,
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
        compact=compact,
        bars_path=bars_path,
        rows=rows,
    )


def step_path(tops: list[float]) -> str:
    """Touching bars as one outline, in a view box a unit wide per bar: along the baseline (100) to the first bar,
    up to its top, across, and to each next top only where it changes; `tops[i]` is bar i's top."""
    segments, level = [], "100"
    for index, top in enumerate(tops):
        if (y := pct(top)) != level:
            segments.append(f"H{index}V{y}")
            level = y
    return f"M0 100{''.join(segments)}H{len(tops)}V100Z"


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
        "first": format_hour_span(hours[0].counted_from, hours[0].counted_until),
        "last": format_hour_span(hours[-1].counted_from, hours[-1].counted_until),
    }
    busiest = max(hours, key=lambda row: (row.pageviews, row.start))
    if busiest.pageviews == 0:
        return gettext("Hourly pageviews and unique visitors, %(span)s: no visits in these 24 hours.") % {"span": span}
    return gettext(
        "Hourly pageviews and unique visitors, %(span)s. Busiest hour: %(hour)s, "
        "with %(pageviews)s pageviews and %(visitors)s unique visitors."
    ) % {
        "span": span,
        "hour": format_hour_span(busiest.counted_from, busiest.counted_until),
        "pageviews": format_count(busiest.pageviews),
        "visitors": format_count(busiest.unique_visitors),
    }
