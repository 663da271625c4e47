"""The last 24 hours hour by hour, on the clock hours of the site's time zone, counted exactly from the raw pageviews.

The `24h` window rarely starts on the hour, so its hours are the clock hours it touches: the
hour it starts in, counted from the window's start (partial), the whole hours after it, and
the hour still running, counted up to now (partial). Their pageviews add up to the window's
pageviews and an hour never mixes two windows. A window starting on the hour has 24 whole
hours. Each row is assigned its hour in the database with a CASE over the boundaries (the
`(site, timestamp)` index bounds the scan), as `analytics.counting.raw_reads.local_date` does
for days; the visitors of an hour are the distinct visitors with a pageview in it.

The clock hours are those of the site's time zone (at a half-hour offset they start at :30
UTC), which is why they are not read from the UTC hourly rows of `analytics.counting.hours`.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Value, When

from analytics.counting.raw_reads import pageviews_in
from analytics.models import Site
from analytics.periods import Period, Window, window_for

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class HourRow:
    """One clock hour: its start in the site's time zone, pageviews and distinct visitors within the part of it
    inside the window, [counted_from, counted_until), which is the whole hour except at the window's two ends."""

    start: dt.datetime
    pageviews: int
    unique_visitors: int
    counted_from: dt.datetime
    counted_until: dt.datetime

    @property
    def partial(self) -> bool:
        return self.counted_from != self.start or self.counted_until != self.start + HOUR


def clock_hours(window: Window, *, tz: zoneinfo.ZoneInfo) -> list[tuple[dt.datetime, dt.datetime, dt.datetime]]:
    """The clock hours the window touches, oldest first: (hour start, counted from, counted until), in UTC.

    The first is the local hour the window starts in; the next ones follow an hour apart in
    UTC, so a change of clocks (summer time) neither skips nor repeats an hour.
    """
    local_start = window.start.astimezone(tz)
    hour = local_start.replace(minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    hours = []
    while hour < window.end:
        hours.append((hour, max(hour, window.start), min(hour + HOUR, window.end)))
        hour += HOUR
    return hours


def hourly_counts(*, site: Site, now: dt.datetime) -> list[HourRow]:
    """The clock hours of the `24h` window ending at `now`, zero-filled, oldest first."""
    tz = site.tzinfo
    window = window_for(Period.HOURS_24, now=now, tz=tz)
    hours = clock_hours(window, tz=tz)
    bucket = Case(
        *(When(timestamp__lt=until, then=Value(index)) for index, (_, _, until) in enumerate(hours)),
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
    return [
        HourRow(start.astimezone(tz), *counted.get(index, (0, 0)), since.astimezone(tz), until.astimezone(tz))
        for index, (start, since, until) in enumerate(hours)
    ]
