"""The period just before the one being read, and how the numbers changed (docs/definitions.md, "Comparisons").

Like is compared with like. A day period's window holds a partial today: `7d` read at 09:00
is six whole days and today up to 09:00. Its previous window is the N days before, cut at
the same wall-clock time: the six whole days and the seventh up to 09:00, a week earlier.
Comparing with N whole days instead would make a flat week read as a fall, most of all just
after midnight. `24h` is the 24 hours before the last 24.

A change is rounded once, here, and everything that shows it (the page's arrow and text, the
API's `change`) uses that rounded figure, so an arrow never points against "±0%". With nothing
in the previous window there is nothing to compare with: no change, rather than "+100%" or a
bounce rate "up" from an empty period's 0.0%.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from analytics.models import Site
from analytics.periods import Period, Window, dates_between, local_midnight, span, window_for
from analytics.selectors import site_stats, window_headlines
from analytics.stats import SiteStats


def previous_window(period: Period, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> Window:
    """`Nd`: from the local midnight N days before the current window's first, to `now`'s wall-clock
    time N days before today (not N times 24 hours: a clock change in between moves neither end); its
    dates are always N, the last one partial. `24h`: the 24 hours before the last 24."""
    current = window_for(period, now=now, tz=tz)
    if period.days is None:
        return span(current.start - dt.timedelta(hours=24), current.start, tz=tz)
    local = now.astimezone(tz)
    first = current.dates[0] - dt.timedelta(days=period.days)
    last = local.date() - dt.timedelta(days=period.days)
    end = dt.datetime.combine(last, local.time(), tzinfo=tz).astimezone(dt.UTC)
    return Window(local_midnight(first, tz), end, dates_between(first, last))


def previous_site_stats(*, site: Site, period: Period | str, now: dt.datetime) -> SiteStats:
    """The headline numbers and daily series of `previous_window`; its lists are left empty, as nothing
    shows them (the changes and the chart's previous line use the totals and the days)."""
    period = Period(period)
    window = previous_window(period, now=now, tz=site.tzinfo)
    if period.days is None:
        return site_stats(site=site, period=period, now=window.end, with_lists=False)
    return window_headlines(site=site, period=period, window=window)


@dataclass(frozen=True)
class Change:
    """One headline number's change, already rounded: whole percent, or points (one decimal) for a rate.

    `figure` is None when there is nothing to compare with; `direction` is the sign of `figure`
    itself, so a change that rounds to zero has none.
    """

    figure: float | None
    points: bool = False

    @property
    def direction(self) -> int:
        if not self.figure:
            return 0
        return 1 if self.figure > 0 else -1


# (field, compared in points, a mean over the window's sessions)
HEADLINE_NUMBERS: tuple[tuple[str, bool, bool], ...] = (
    ("unique_visitors", False, False),
    ("pageviews", False, False),
    ("bounce_rate", True, True),
    ("avg_session_duration", False, True),
)


def percent_change(current: float, previous: float) -> int | None:
    """The change from `previous` to `current` in whole percent; None when `previous` is 0."""
    if not previous:
        return None
    return round(100 * (current - previous) / previous)


def points_change(current: float, previous: float) -> float:
    """The difference of two percentages in points, one decimal (rounded again: 0.1 + 0.2 is not 0.3)."""
    return round(current - previous, 1)


def headline_changes(*, current: SiteStats, previous: SiteStats) -> dict[str, Change]:
    """Each headline number's change. A previous window without pageviews has no changes at all; a mean
    (bounce rate, duration) is compared only when both windows have pageviews: an empty window's 0.0% or
    0s is no mean."""
    changes = {}
    for field, points, mean in HEADLINE_NUMBERS:
        now_value, before = getattr(current, field), getattr(previous, field)
        if not previous.pageviews or (mean and not current.pageviews):
            figure = None
        elif points:
            figure = points_change(now_value, before)
        else:
            figure = percent_change(now_value, before)
        changes[field] = Change(figure, points=points)
    return changes
