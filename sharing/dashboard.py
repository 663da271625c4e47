"""The dashboard a share page and an owner's dashboard both show, built from computed `SiteStats`.

The share page reads the very `SiteStats` of the API's cache entry rather than recomputing
anything, so a reader of the page and a client of the API always see the same numbers.
Nothing here knows about tokens: a page passes its site, the periods it offers and how a
period's URL looks on that page.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy
from django_countries import countries

from analytics.comparisons import Change, headline_changes
from analytics.hourly import HourRow
from analytics.models import Site
from analytics.periods import Period
from analytics.stats import SiteStats
from sharing.charts import DailyChart, daily_chart, hourly_chart, pct
from sharing.formatting import (
    count_formatter,
    format_change,
    format_count,
    format_date_range,
    format_duration,
    format_moment,
    format_percent,
    format_share,
)

SOURCE_LABELS = {"direct": gettext_lazy("Direct / none")}
# A referring site is a host name; anything else in the source column came from a link's utm_source tag.
HOST_NAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
VISITORS_NOTE = gettext_lazy("Counted per day without cookies: someone who comes back on another day counts again.")
SOURCES_NOTE = gettext_lazy(
    "“Direct / none” means no referring site: typed in, bookmarked or opened from an app. "
    "Names marked “campaign” come from a link’s utm_source tag; the others are the sites "
    "visitors came from."
)
PARTIAL_NOTE = gettext_lazy("Today is still in progress: its bar (hatched) counts the day so far.")
PARTIAL_HOURS_NOTE = gettext_lazy(
    "The first and the last hour are partial: their bars (hatched) count only the part of the hour within "
    "these 24 hours."
)
DEVICE_LABELS = {
    "desktop": gettext_lazy("Desktop"),
    "mobile": gettext_lazy("Mobile"),
    "tablet": gettext_lazy("Tablet"),
}
NEW = pgettext_lazy("a number the previous period did not have", "new")
# Countries on the page (every one is in the API and the CSV): 200 rows weighed 65 KB of a year's page.
COUNTRIES_SHOWN = 25
CAMPAIGN_TAG = pgettext_lazy("a source named by a link's utm_source tag", "campaign")

RowText = Callable[[Any], str]
PeriodUrl = Callable[[Period], str]
CsvUrl = Callable[[str], str]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str
    hint: str
    change: str = ""
    trend: str = ""  # "up", "down" or "flat"; the colour is left out on purpose: more is not always better
    previous_value: str = ""


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    title: str
    numbers: tuple[str, str]
    bar_width: str
    tag: str = ""


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    headings: tuple[str, str, str]
    rows: list[BreakdownRow]
    note: str = ""
    csv_url: str = ""

    share_column: bool = True


@dataclass(frozen=True)
class PeriodLink:
    period: str
    label: str
    url: str
    current: bool
    amount_and_unit: tuple[str, str] = ("", "")  # `("30", "days")`: the switcher stacks them on phones


# How a period reads inside a sentence ("Create a share link for last 30 days"): a translator's own phrase.
PERIOD_PHRASES = {
    Period.HOURS_24: pgettext_lazy("a period within a sentence", "last 24 hours"),
    Period.DAYS_7: pgettext_lazy("a period within a sentence", "last 7 days"),
    Period.DAYS_30: pgettext_lazy("a period within a sentence", "last 30 days"),
    Period.DAYS_90: pgettext_lazy("a period within a sentence", "last 90 days"),
    Period.DAYS_365: pgettext_lazy("a period within a sentence", "last 365 days"),
}


def period_length(period: Period) -> int:
    return period.days or 24


def amount_and_unit(period: Period) -> tuple[str, str]:
    count = period_length(period)
    unit = ngettext("hour", "hours", count) if period.days is None else ngettext("day", "days", count)
    return format_count(count), unit


@dataclass(frozen=True)
class Dashboard:
    site_name: str
    domain: str
    period_label: str
    date_range: str
    computed_at_iso: str
    computed_at_text: str
    headlines: list[Headline]
    chart: DailyChart | None
    breakdowns: list[Breakdown]
    period_links: list[PeriodLink]
    compared_with: str = ""
    previous_legend: str = ""
    period_phrase: str = ""
    time_zone: str = ""  # the site's IANA zone: every day, hour and time on the page is in it
    chart_csv_url: str = ""
    daily_csv_url: str = ""

    @property
    def chart_title(self) -> str:
        return (
            gettext("Visitors and pageviews per hour")
            if self.chart and self.chart.per_hour
            else gettext("Visitors and pageviews per day")
        )

    @property
    def partial_note(self) -> str:
        if not self.chart or not self.chart.has_partial:
            return ""
        return PARTIAL_HOURS_NOTE if self.chart.per_hour else PARTIAL_NOTE


def period_links(*, periods: list[Period], current: Period | None, period_url: PeriodUrl) -> list[PeriodLink]:
    """Plain links, so switching works without JavaScript."""
    return [
        PeriodLink(
            period=period.value,
            label=str(period.label),
            url=period_url(period),
            current=period == current,
            amount_and_unit=amount_and_unit(period),
        )
        for period in periods
    ]


def compared_with(period: Period) -> str:
    """`vs the previous 30 days`, after each headline number's change. A whole phrase, not "vs" and a period
    apart, because languages decline the period after their word for "vs" (German: `ggü. den vorherigen 30
    Tagen`; French: `aux 30 jours`, Portuguese: `aos 30 dias`)."""
    count = period_length(period)
    values = {"count": format_count(count)}
    if period.days is None:
        return ngettext("vs the previous %(count)s hour", "vs the previous %(count)s hours", count) % values
    return ngettext("vs the previous %(count)s day", "vs the previous %(count)s days", count) % values


def previous_pageviews_legend(period: Period) -> str:
    """`Pageviews, the previous 30 days`: the chart's legend for the previous window's line."""
    count = period_length(period)
    values = {"count": format_count(count)}
    if period.days is None:
        return (
            ngettext("Pageviews, the previous %(count)s hour", "Pageviews, the previous %(count)s hours", count)
            % values
        )
    return ngettext("Pageviews, the previous %(count)s day", "Pageviews, the previous %(count)s days", count) % values


TRENDS = {1: "up", -1: "down", 0: "flat"}


def change_text(change: Change, *, current: float) -> str:
    """`+12%` (relative), or `+3.2 pts` for a rate, from the rounded figure; with nothing to compare with,
    `new` for a count or duration there is some of now, and nothing otherwise."""
    if change.figure is None:
        return str(NEW) if current and not change.points else ""
    return format_change(change.figure, points=change.points)


def visitors_label(stats: SiteStats) -> str:
    """Over more than a day the number is each day's unique visitors added up (docs/definitions.md), and says so."""
    return gettext("Unique visitors") if stats.period == Period.HOURS_24 else gettext("Daily unique visitors, summed")


def headlines(stats: SiteStats, *, previous: SiteStats | None = None) -> list[Headline]:
    numbers = [
        ("visitors", visitors_label(stats), "unique_visitors", format_count, VISITORS_NOTE),
        ("pageviews", gettext("Pageviews"), "pageviews", format_count, gettext("Pages opened in total")),
        ("bounce", gettext("Bounce rate"), "bounce_rate", format_percent, gettext("Visits that saw only one page")),
        (
            "duration",
            gettext("Visit duration"),
            "avg_session_duration",
            format_duration,
            gettext("Average time spent per visit"),
        ),
    ]
    changes = headline_changes(current=stats, previous=previous) if previous else {}
    return [
        Headline(
            key,
            label,
            text(getattr(stats, field)),
            str(hint),
            change=change_text(changes[field], current=getattr(stats, field)) if previous else "",
            trend=TRENDS[changes[field].direction] if previous else "",
            previous_value=text(getattr(previous, field)) if previous else "",
        )
        for key, label, field, text, hint in numbers
    ]


def country_name(row: Any) -> str:
    """In the reader's language (django-countries' catalogues); the stats keep the API's English name."""
    return str(countries.name(row.code)) or row.name


def source_tag(source: str) -> str:
    return "" if source == "direct" or HOST_NAME.fullmatch(source) else str(CAMPAIGN_TAG)


def share_rows(
    rows: list[Any],
    *,
    count: str,
    whole: int,
    label: RowText,
    title: RowText,
    second: RowText | None = None,
    tag: RowText | None = None,
) -> list[BreakdownRow]:
    """Rows whose second number is their share of `whole` (unless `second` gives another).

    Bars are drawn relative to the largest row, so the top row fills its cell and every
    bar stays proportional to its row's share, which the share column states exactly.
    """
    peak = max((getattr(row, count) for row in rows), default=0)
    count_text = count_formatter()
    return [
        BreakdownRow(
            label=label(row),
            title=title(row),
            numbers=(
                count_text(getattr(row, count)),
                second(row) if second else format_share(getattr(row, count), whole),
            ),
            bar_width=pct(100 * getattr(row, count) / peak if peak else 0),
            tag=tag(row) if tag else "",
        )
        for row in rows
    ]


def breakdowns(stats: SiteStats) -> list[Breakdown]:
    visitors = stats.unique_visitors
    visits = sum(row.visits for row in stats.referrers)
    return [
        Breakdown(
            "pages",
            gettext("Top pages"),
            (gettext("Page"), gettext("Pageviews"), gettext("Visitors")),
            share_rows(
                stats.pages,
                count="pageviews",
                whole=stats.pageviews,
                label=lambda row: row.path,
                title=lambda row: row.path,
                second=lambda row: format_count(row.unique_visitors),
            ),
            share_column=False,
        ),
        Breakdown(
            "referrers",
            gettext("Top sources"),
            (gettext("Source"), gettext("Visits"), gettext("Share")),
            share_rows(
                stats.referrers,
                count="visits",
                whole=visits,
                label=lambda row: str(SOURCE_LABELS.get(row.source, row.source)),
                title=lambda row: row.source,
                tag=lambda row: source_tag(row.source),
            ),
            note=str(SOURCES_NOTE),
        ),
        Breakdown(
            "devices",
            gettext("Devices"),
            (gettext("Device"), gettext("Visitors"), gettext("Share")),
            share_rows(
                stats.devices,
                count="count",
                whole=visitors,
                label=lambda row: str(DEVICE_LABELS.get(row.key, row.key.capitalize())),
                title=lambda row: row.key,
            ),
        ),
        Breakdown(
            "browsers",
            gettext("Browsers"),
            (gettext("Browser"), gettext("Visitors"), gettext("Share")),
            share_rows(
                stats.browsers,
                count="count",
                whole=visitors,
                label=lambda row: row.key or gettext("Unknown"),
                title=lambda row: row.key or gettext("Unknown"),
            ),
        ),
        Breakdown(
            "countries",
            gettext("Countries"),
            (gettext("Country"), gettext("Visitors"), gettext("Share")),
            share_rows(
                stats.countries[:COUNTRIES_SHOWN],
                count="count",
                whole=visitors,
                label=lambda row: country_name(row),
                title=lambda row: f"{country_name(row)} ({row.code})",
            ),
            note=countries_note(len(stats.countries)),
        ),
    ]


def countries_note(count: int) -> str:
    """The only list the API does not cap; the page shows its top and says where the rest is."""
    if count <= COUNTRIES_SHOWN:
        return ""
    return ngettext(
        "The top %(shown)s of %(count)s country; the CSV file lists them all.",
        "The top %(shown)s of %(count)s countries; the CSV file lists them all.",
        count,
    ) % {"shown": format_count(COUNTRIES_SHOWN), "count": format_count(count)}


def build_dashboard(
    *,
    site: Site,
    periods: list[Period],
    period: Period,
    stats: SiteStats,
    computed_at: dt.datetime,
    period_url: PeriodUrl,
    previous: SiteStats | None = None,
    hourly: list[HourRow] | None = None,
    previous_hourly: list[HourRow] | None = None,
    hidden_sections: list[str] | tuple[str, ...] = (),
    csv_url: CsvUrl | None = None,
) -> Dashboard:
    """`previous` adds the change on each headline number and the previous period's line in the chart;
    `hourly` (for 24 hours) draws the chart per hour; hidden sections are left out altogether, never
    built and so never rendered; `csv_url` gives each table and series its download link."""
    computed_local = timezone.localtime(computed_at, site.tzinfo)
    shown = [breakdown for breakdown in breakdowns(stats) if breakdown.key not in hidden_sections]
    if csv_url:
        shown = [replace(breakdown, csv_url=csv_url(breakdown.key)) for breakdown in shown]
    chart = None
    if "daily" not in hidden_sections:
        chart = (
            hourly_chart(hourly, previous=previous_hourly)
            if hourly is not None
            else daily_chart(
                stats.daily, today=computed_local.date(), previous=previous.daily if previous is not None else None
            )
        )
    return Dashboard(
        site_name=site.display_name,
        domain=site.domain,
        period_label=str(period.label),
        period_phrase=str(PERIOD_PHRASES[period]),
        time_zone=site.timezone,
        date_range=format_date_range(stats.daily[0].date, stats.daily[-1].date),
        computed_at_iso=computed_local.isoformat(timespec="seconds"),
        computed_at_text=format_moment(computed_local),
        headlines=headlines(stats, previous=previous),
        chart=chart,
        breakdowns=shown,
        period_links=period_links(periods=periods, current=period, period_url=period_url),
        compared_with=compared_with(period) if previous is not None else "",
        previous_legend=previous_pageviews_legend(period) if previous is not None else "",
        chart_csv_url=csv_url("hourly" if hourly is not None else "daily") if csv_url and chart else "",
        daily_csv_url=csv_url("daily") if csv_url and chart and hourly is not None else "",
    )
