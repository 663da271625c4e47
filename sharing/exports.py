"""The share page's tables and series as CSV files, one per section (docs/share-page.md, "Export").

The rows are the very numbers the page shows (the cached `SiteStats`, the cached hours), so
a download always agrees with the page. Cells that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab, carriage return first; a `utm_source` can be anything) are prefixed
with an apostrophe, the usual defence against CSV injection.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable

from django.utils.http import content_disposition_header
from django.utils.translation import gettext

from analytics.hourly import HourRow
from analytics.periods import Period
from analytics.stats import SiteStats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SECTION_OF = {
    "pages": "pages",
    "referrers": "referrers",
    "devices": "devices",
    "browsers": "browsers",
    "countries": "countries",
    "daily": "daily",
    "hourly": "daily",
}


def section_of(export: str) -> str | None:
    """The link section an export belongs to (the hourly series is part of the chart), or None if unknown."""
    return SECTION_OF.get(export)


def export_rows(export: str, *, stats: SiteStats, hourly: list[HourRow] | None) -> tuple[list[str], list[list]]:
    """The header in the reader's language; the cells stay machine-readable (ISO dates, plain digits, keys)."""
    pageviews, visitors = gettext("Pageviews"), gettext("Unique visitors")
    if export == "pages":
        return [gettext("Page"), pageviews, visitors], [[r.path, r.pageviews, r.unique_visitors] for r in stats.pages]
    if export == "referrers":
        return [gettext("Source"), gettext("Visits")], [[row.source, row.visits] for row in stats.referrers]
    if export == "devices":
        return [gettext("Device"), visitors], [[row.key, row.count] for row in stats.devices]
    if export == "browsers":
        return [gettext("Browser"), visitors], [[row.key, row.count] for row in stats.browsers]
    if export == "countries":
        return [gettext("Country code"), gettext("Country"), visitors], [
            [r.code, r.name, r.count] for r in stats.countries
        ]
    if export == "daily":
        if stats.period == Period.HOURS_24:
            # Its dates are cut by the window: not the whole dates' numbers the day periods give, so said apart.
            pageviews = gettext("Pageviews within the last 24 hours")
            visitors = gettext("Unique visitors within the last 24 hours")
        return [gettext("Date"), pageviews, visitors], [
            [row.date.isoformat(), row.pageviews, row.unique_visitors] for row in stats.daily
        ]
    return [gettext("Hour starting"), pageviews, visitors, gettext("Counted from"), gettext("Counted until")], [
        [
            row.start.isoformat(timespec="minutes"),
            row.pageviews,
            row.unique_visitors,
            row.counted_from.isoformat(timespec="seconds"),
            row.counted_until.isoformat(timespec="seconds"),
        ]
        for row in hourly or []
    ]


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(header: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with a byte-order mark, which spreadsheet programs need to read non-ASCII paths right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def export_filename(*, domain: str, export: str, period: str, day: dt.date) -> str:
    return f"{domain}-{export}-{period}-{day.isoformat()}.csv"


def attachment_header(filename: str) -> str:
    """`Content-Disposition` for a download, by Django's helper: quotes and non-ASCII are escaped, never pasted in."""
    return content_disposition_header(as_attachment=True, filename=filename)
