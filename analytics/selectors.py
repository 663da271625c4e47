"""Reads of statistics: `site_stats` is what production serves."""

import datetime as dt

from analytics.counting.read_24h import last_24_hours_stats
from analytics.counting.read_days import days_window_headlines, rolled_up_site_stats
from analytics.counting.snapshot import read_snapshot
from analytics.models import Site
from analytics.periods import Period, Window
from analytics.read_replicas import statistics_alias
from analytics.stats import SiteStats


def site_stats(*, site: Site, period: Period | str, now: dt.datetime, with_lists: bool = True) -> SiteStats:
    """The statistics of `site` for `period` as of `now`.

    The day periods come from the rollups and `24h` from the hourly rollups and an hour of
    raw rows at most; they equal `analytics.reference_stats`, the reference. Without
    `with_lists` a day period's lists are left empty and not read (`24h` keeps them: its
    lists come with its totals). Every read of the answer sees one committed state (`read_snapshot`) of one
    database: a replica inside `statistics_reads()` when one is close enough behind, else the primary.
    """
    period = Period(period)
    with read_snapshot(using=statistics_alias()):
        if period.days is None:
            return last_24_hours_stats(site=site, now=now)
        return rolled_up_site_stats(site=site, period=period, now=now, with_lists=with_lists)


def window_headlines(*, site: Site, period: Period, window: Window) -> SiteStats:
    """The headline numbers and days of a window of whole local days whose last day ends early (a previous
    period, `analytics.comparisons`), in one snapshot; its lists are left empty."""
    with read_snapshot(using=statistics_alias()):
        return days_window_headlines(site=site, period=period, window=window)
