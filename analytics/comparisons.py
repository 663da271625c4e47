"""The period just before the one being read, so a reader can see what changed (docs/definitions.md, "Comparisons").

The previous window has the same length and ends where the current one starts: for `Nd`
the N whole local days before the current N, for `24h` the 24 hours before the last 24.
Its numbers come from `analytics.selectors.site_stats` itself, asked as of the moment just
before the current window starts, so they are counted by the very rules (and the same fast
paths) as the current ones.
"""

import datetime as dt
import zoneinfo

from analytics.models import Site
from analytics.periods import Period, Window, window_for
from analytics.selectors import site_stats
from analytics.stats import SiteStats

JUST_BEFORE = dt.timedelta(microseconds=1)


def previous_now(period: Period, *, window: Window) -> dt.datetime:
    """The moment whose window is the one right before `window`.

    A day period's window ends at the local midnight after "now", so any instant of the
    day before the window starts names the previous N days; the rolling 24 hours end
    exactly at "now", so the previous 24 hours end where the current ones start.
    """
    return window.start if period.days is None else window.start - JUST_BEFORE


def previous_window(period: Period, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> Window:
    current = window_for(period, now=now, tz=tz)
    return window_for(period, now=previous_now(period, window=current), tz=tz)


def previous_site_stats(*, site: Site, period: Period | str, now: dt.datetime) -> SiteStats:
    """The headline numbers and daily series of the window just before the one `site_stats(period, now)` covers.

    Its lists are left empty: nothing shows them (the headlines' changes and the chart's
    previous line use the totals and the days), and a day period's previous window lies
    before its running totals, where lists would be summed from blocks.
    """
    period = Period(period)
    current = window_for(period, now=now, tz=site.tzinfo)
    return site_stats(site=site, period=period, now=previous_now(period, window=current), with_lists=False)


def percent_change(current: float, previous: float) -> float | None:
    """The change from `previous` to `current` in percent, one decimal; None when there is nothing to compare with."""
    if not previous:
        return None
    return round(100 * (current - previous) / previous, 1)
