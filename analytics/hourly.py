"""The last 24 hours in 24 hourly buckets, counted exactly from the raw pageviews.

The buckets are the 24 whole hours of the `24h` window itself, [start + k h, start + (k+1) h),
so their pageviews add up to the window's pageviews and a bucket never mixes two windows.
Each row is assigned its bucket in the database with a CASE over the 24 boundaries (the
`(site, timestamp)` index bounds the scan), as `analytics.counting.raw_reads.local_date` does for days;
the times a reader sees are the buckets' starts in the site's time zone.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Value, When

from analytics.counting.raw_reads import pageviews_in
from analytics.models import Site
from analytics.periods import Period, Window, window_for

HOURS = 24
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class HourRow:
    """One hour: its start in the site's time zone, pageviews, and distinct visitors within that hour."""

    start: dt.datetime
    pageviews: int
    unique_visitors: int


def hour_starts(window: Window) -> list[dt.datetime]:
    return [window.start + index * HOUR for index in range(HOURS)]


def hourly_counts(*, site: Site, now: dt.datetime) -> list[HourRow]:
    """The 24 buckets of the `24h` window ending at `now`, zero-filled, oldest first."""
    window = window_for(Period.HOURS_24, now=now, tz=site.tzinfo)
    starts = hour_starts(window)
    bucket = Case(
        *(When(timestamp__lt=start + HOUR, then=Value(index)) for index, start in enumerate(starts)),
        output_field=IntegerField(),
    )
    counted = {
        row["bucket"]: (row["pageviews"], row["visitors"])
        for row in pageviews_in(site=site, window=window)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(pageviews=Count("id"), visitors=Count("visitor_id", distinct=True))
        .order_by()
    }
    tz = site.tzinfo
    return [HourRow(start.astimezone(tz), *counted.get(index, (0, 0))) for index, start in enumerate(starts)]
