"""Reads of statistics: `site_stats` is what production serves."""

import datetime as dt

from analytics.models import Site
from analytics.periods import Period
from analytics.rollup_selectors import last_24_hours_stats, rolled_up_site_stats
from analytics.stats import SiteStats


def site_stats(*, site: Site, period: Period | str, now: dt.datetime) -> SiteStats:
    """The statistics of `site` for `period` as of `now`.

    The day periods come from the rollups and `24h` (a day of rows at most) from the raw
    rows, both counted the cheap way; they equal `analytics.reference_stats`, the reference.
    """
    period = Period(period)
    if period.days is None:
        return last_24_hours_stats(site=site, now=now)
    return rolled_up_site_stats(site=site, period=period, now=now)
