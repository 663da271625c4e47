"""Geometry of the share page's daily chart, drawn as server-side SVG.

Positions are percentages of the plot area, so the SVG needs no viewBox for its
bars, dots and labels: text stays at its CSS size from a 360 px phone to a wide
screen, the chart works without JavaScript, and no inline style is needed
(the page's Content-Security-Policy forbids them).
"""

import datetime as dt
import math
from dataclasses import dataclass

from analytics.stats import DayRow
from sharing.formatting import format_compact, format_count, format_date_range, format_day

Y_INTERVALS = 4
MAX_DAYS_WITH_DOTS = 31
EDGE_PERCENT = 6
# Labels beyond this many are thinned to every other one on phones (CSS hides the `minor` ones).
MAX_PHONE_LABELS = 4


@dataclass(frozen=True)
class ChartDay:
    date: dt.date
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
        return f"{day:%a} {day.day}"
    if count <= 92:
        return f"{day.day} {day:%b}"
    return f"{day:%b %Y}" if day.month == 1 else f"{day:%b}"


def x_tick(*, index: int, column: float, label: str, minor: bool) -> AxisTick:
    """A label centred under its day, except at the plot's edges, where it aligns inwards so it is never cut off."""
    centre = (index + 0.5) * column
    if centre < EDGE_PERCENT:
        return AxisTick(position=pct(index * column), label=label, minor=minor, anchor="start")
    if centre > 100 - EDGE_PERCENT:
        return AxisTick(position=pct((index + 1) * column), label=label, minor=minor, anchor="end")
    return AxisTick(position=pct(centre), label=label, minor=minor)


def daily_chart(daily: list[DayRow]) -> DailyChart:
    """Pageviews as bars, unique visitors as a line, on one shared axis (visitors never exceed pageviews)."""
    count = len(daily)
    dates = [row.date for row in daily]
    peak = max((max(row.pageviews, row.unique_visitors) for row in daily), default=0)
    step = nice_step(peak)
    top = step * Y_INTERVALS
    column = 100 / count if count else 100
    # Wide bars for a week or a month; for a quarter or a year they touch and read as an area.
    bar_share = 0.64 if count <= MAX_DAYS_WITH_DOTS else 0.8 if count <= 92 else 1.0

    def height(value: int) -> float:
        return 100 * value / top

    days = [
        ChartDay(
            date=day,
            label=format_day(day),
            pageviews=format_count(row.pageviews),
            visitors=format_count(row.unique_visitors),
            column_x=pct(index * column),
            column_width=pct(column),
            bar_x=pct((index + (1 - bar_share) / 2) * column),
            bar_width=pct(bar_share * column),
            bar_y=pct(100 - height(row.pageviews)),
            bar_height=pct(height(row.pageviews)),
            dot_x=pct((index + 0.5) * column),
            dot_y=pct(100 - height(row.unique_visitors)),
        )
        for index, (day, row) in enumerate(zip(dates, daily, strict=True))
    ]
    tick_indices = x_tick_indices(dates)
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
                label=x_tick_label(dates[index], count=count),
                minor=len(tick_indices) > MAX_PHONE_LABELS and (len(tick_indices) - 1 - position) % 2 == 1,
            )
            for position, index in enumerate(tick_indices)
        ],
        line_view_box=f"0 0 {max(count, 1)} 100",
        line_points=" ".join(
            f"{index + 0.5},{pct(100 - height(row.unique_visitors))}" for index, row in enumerate(daily)
        ),
        show_dots=count <= MAX_DAYS_WITH_DOTS,
        many_days=count > 14,
        has_data=peak > 0,
        summary=chart_summary(daily, dates),
    )


def chart_summary(daily: list[DayRow], dates: list[dt.date]) -> str:
    """One sentence a screen reader can give instead of the picture."""
    if not daily:
        return "No data for this period."
    span = format_date_range(dates[0], dates[-1])
    busiest_index = max(range(len(daily)), key=lambda index: (daily[index].pageviews, index))
    busiest = daily[busiest_index]
    if busiest.pageviews == 0:
        return f"Daily pageviews and unique visitors, {span}: no visits in this period."
    return (
        f"Daily pageviews and unique visitors, {span}. Busiest day: {format_day(dates[busiest_index])}, "
        f"with {format_count(busiest.pageviews)} pageviews and "
        f"{format_count(busiest.unique_visitors)} unique visitors."
    )
