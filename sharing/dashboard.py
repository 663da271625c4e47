"""The dashboard a share page and an owner's dashboard both show, built from computed `SiteStats`.

The share page reads the very `SiteStats` of the API's cache entry rather than recomputing
anything, so a reader of the page and a client of the API always see the same numbers.
Nothing here knows about tokens: a page passes its site, the periods it offers and how a
period's URL looks on that page.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from analytics.models import Site
from analytics.periods import Period
from analytics.stats import SiteStats
from sharing.charts import DailyChart, daily_chart, pct
from sharing.formatting import (
    format_count,
    format_date_range,
    format_duration,
    format_percent,
    format_share,
)

SOURCE_LABELS = {"direct": "Direct / none"}

RowText = Callable[[Any], str]
PeriodUrl = Callable[[Period], str]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str
    hint: str


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    title: str
    numbers: tuple[str, str]
    bar_width: str


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    headings: tuple[str, str, str]
    rows: list[BreakdownRow]

    @property
    def share_column(self) -> bool:
        return self.headings[2] == "Share"


@dataclass(frozen=True)
class PeriodLink:
    period: str
    label: str
    url: str
    current: bool

    @property
    def amount_and_unit(self) -> tuple[str, str]:
        """`("30", "days")` from "Last 30 days": the switcher stacks them on phones to fit five periods."""
        amount, unit = self.label.removeprefix("Last ").split(" ", 1)
        return amount, unit


@dataclass(frozen=True)
class Dashboard:
    site_name: str
    domain: str
    period_label: str
    date_range: str
    computed_at_iso: str
    computed_at_text: str
    headlines: list[Headline]
    chart: DailyChart
    breakdowns: list[Breakdown]
    period_links: list[PeriodLink]


def period_links(*, periods: list[Period], current: Period | None, period_url: PeriodUrl) -> list[PeriodLink]:
    """Plain links, so switching works without JavaScript."""
    return [
        PeriodLink(period=period.value, label=period.label, url=period_url(period), current=period == current)
        for period in periods
    ]


def headlines(stats: SiteStats) -> list[Headline]:
    return [
        Headline("visitors", "Unique visitors", format_count(stats.unique_visitors), "Different people who visited"),
        Headline("pageviews", "Pageviews", format_count(stats.pageviews), "Pages opened in total"),
        Headline("bounce", "Bounce rate", format_percent(stats.bounce_rate), "Visits that saw only one page"),
        Headline(
            "duration", "Visit duration", format_duration(stats.avg_session_duration), "Average time spent per visit"
        ),
    ]


def share_rows(
    rows: list[Any], *, count: str, whole: int, label: RowText, title: RowText, second: RowText | None = None
) -> list[BreakdownRow]:
    """Rows whose second number is their share of `whole` (unless `second` gives another).

    Bars are drawn relative to the largest row, so the top row fills its cell and every
    bar stays proportional to its row's share, which the share column states exactly.
    """
    peak = max((getattr(row, count) for row in rows), default=0)
    return [
        BreakdownRow(
            label=label(row),
            title=title(row),
            numbers=(
                format_count(getattr(row, count)),
                second(row) if second else format_share(getattr(row, count), whole),
            ),
            bar_width=pct(100 * getattr(row, count) / peak if peak else 0),
        )
        for row in rows
    ]


def breakdowns(stats: SiteStats) -> list[Breakdown]:
    visitors = stats.unique_visitors
    visits = sum(row.visits for row in stats.referrers)
    return [
        Breakdown(
            "pages",
            "Top pages",
            ("Page", "Pageviews", "Visitors"),
            share_rows(
                stats.pages,
                count="pageviews",
                whole=stats.pageviews,
                label=lambda row: row.path,
                title=lambda row: row.path,
                second=lambda row: format_count(row.unique_visitors),
            ),
        ),
        Breakdown(
            "referrers",
            "Top sources",
            ("Source", "Visits", "Share"),
            share_rows(
                stats.referrers,
                count="visits",
                whole=visits,
                label=lambda row: SOURCE_LABELS.get(row.source, row.source),
                title=lambda row: row.source,
            ),
        ),
        Breakdown(
            "devices",
            "Devices",
            ("Device", "Visitors", "Share"),
            share_rows(
                stats.devices,
                count="count",
                whole=visitors,
                label=lambda row: row.key.capitalize(),
                title=lambda row: row.key,
            ),
        ),
        Breakdown(
            "browsers",
            "Browsers",
            ("Browser", "Visitors", "Share"),
            share_rows(
                stats.browsers,
                count="count",
                whole=visitors,
                label=lambda row: row.key or "Unknown",
                title=lambda row: row.key or "Unknown",
            ),
        ),
        Breakdown(
            "countries",
            "Countries",
            ("Country", "Visitors", "Share"),
            share_rows(
                stats.countries,
                count="count",
                whole=visitors,
                label=lambda row: row.name,
                title=lambda row: f"{row.name} ({row.code})",
            ),
        ),
    ]


def build_dashboard(
    *,
    site: Site,
    periods: list[Period],
    period: Period,
    stats: SiteStats,
    computed_at: dt.datetime,
    period_url: PeriodUrl,
) -> Dashboard:
    computed_local = timezone.localtime(computed_at, site.tzinfo)
    return Dashboard(
        site_name=site.display_name,
        domain=site.domain,
        period_label=period.label,
        date_range=format_date_range(stats.daily[0].date, stats.daily[-1].date),
        computed_at_iso=computed_local.isoformat(timespec="seconds"),
        computed_at_text=f"{computed_local.day} {computed_local:%b %Y, %H:%M} {computed_local.tzname()}",
        headlines=headlines(stats),
        chart=daily_chart(stats.daily),
        breakdowns=breakdowns(stats),
        period_links=period_links(periods=periods, current=period, period_url=period_url),
    )
