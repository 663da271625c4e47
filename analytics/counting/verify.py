"""The check an operator runs: recount recent days from raw pageviews and list every stored row that differs.

`rollup_stats --verify [--site D] [--days N]` recounts each site's last N local days with
the rule (`analytics.counting.recount`) and compares: the day's totals and per-value rows,
its sessions, the marks on its pageviews, its hourly rows (today and yesterday: older ones
are pruned), and every period's columns of the totals against the sum of the day rows they count. All of
a site's reads run in one snapshot, so batches written meanwhile cause no false alarm.
Its cost is the days' raw pageviews (a day of a 270k-pageview site: a few seconds) and one
aggregate of the day rows per period.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Sum

from analytics.counting.periods import PERIOD_FIELDS, period_slice
from analytics.counting.recount import recount_day, stored_day_counts, stored_sessions
from analytics.counting.snapshot import read_snapshot
from analytics.models import Breakdown, PeriodTotal, PeriodWindow, Site

HOURS_CHECKED = 2  # today and yesterday keep all their hourly rows


@dataclass(frozen=True)
class Difference:
    site: str
    what: str
    key: str
    stored: object
    recounted: object

    def __str__(self) -> str:
        return f"{self.site} {self.what} {self.key}: stored {self.stored}, recounted {self.recounted}"


def verify_site(*, site: Site, now: dt.datetime, days: int) -> list[Difference]:
    today = now.astimezone(site.tzinfo).date()
    differences: list[Difference] = []
    with read_snapshot():
        for offset in range(days - 1, -1, -1):
            day = today - dt.timedelta(days=offset)
            differences += verify_day(site=site, day=day, hours=offset < HOURS_CHECKED)
        differences += verify_period_totals(site=site)
    return differences


def verify_day(*, site: Site, day: dt.date, hours: bool) -> list[Difference]:
    recounted = recount_day(site=site, day=day)
    stored = stored_day_counts(site=site, day=day)
    differences = compared(site, "day", stored.days, recounted.counts.days)
    differences += compared(site, "value", stored.values, recounted.counts.values)
    if hours:
        differences += compared(site, "hour", stored.hours, recounted.counts.hours)
        differences += compared(site, "hour value", stored.hour_values, recounted.counts.hour_values)
    stored_rows = Counter(stored_sessions(site=site, day=day))
    recounted_rows = Counter(recounted.sessions)
    for session in sorted(set(stored_rows) | set(recounted_rows), key=repr):
        if stored_rows[session] != recounted_rows[session]:
            differences.append(
                Difference(site.domain, "session", repr(session), stored_rows[session], recounted_rows[session])
            )
    for pk, marks in recounted.marks.items():
        if recounted.stored_marks[pk] != marks:
            differences.append(Difference(site.domain, "marks of pageview", str(pk), recounted.stored_marks[pk], marks))
    return differences


def compared(site: Site, what: str, stored: dict, recounted: dict) -> list[Difference]:
    """The keys whose counts differ; a missing row counts as zeros (no row is kept for zeros)."""
    differences = []
    for key in sorted(set(stored) | set(recounted), key=repr):
        kept, counted = list(stored.get(key, ())), list(recounted.get(key, ()))
        if (kept or [0] * len(counted)) != (counted or [0] * len(kept)):
            differences.append(Difference(site.domain, what, repr(key), kept, counted))
    return differences


def verify_period_totals(*, site: Site) -> list[Difference]:
    """Each period's columns of the totals hold exactly the day rows from that period's first day on."""
    differences = []
    stored = PeriodTotal.objects.filter(site=site).values_list("dimension", "value", *PERIOD_FIELDS)
    rows = [((dimension, value), counts) for dimension, value, *counts in stored]
    for days, first_day in PeriodWindow.objects.filter(site=site).order_by("days").values_list("days", "first_day"):
        summed = {
            (dimension, value): [pageviews, visitors, visits]
            for dimension, value, pageviews, visitors, visits in Breakdown.objects.filter(
                site=site, start__gte=first_day
            )
            .values_list("dimension", "value")
            .annotate(Sum("pageviews"), Sum("visitors"), Sum("visits"))
            .order_by()
        }
        place = period_slice(days)
        totals = {key: counts[place] for key, counts in rows if any(counts[place])}
        differences += compared(site, f"{days}-day total", totals, summed)
    return differences
