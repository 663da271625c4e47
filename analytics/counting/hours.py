"""Hourly rows: what lets the last 24 hours be counted without reading a day of raw rows.

The 24-hour window starts at an arbitrary instant, so its visitors cannot be a sum of
per-hour distinct counts: a visitor seen in two hours would count twice. Instead each
hour counts the visitors whose *latest* pageview of the day falls in it (the rule,
`analytics.counting.rule`, says which hour each visitor-day counts in). A visitor id lives
within one local day and nothing is recorded after now, so a visitor has a pageview in
[start, now) exactly when its latest pageview is at or after start: the hours after the
window's first (partial) hour add up their visitors exactly, and the first hour is
counted from its raw rows, where the latest pageview of each visitor carries a mark
(`Pageview.last_of_visitor`). The same holds per path (`last_of_path`) and per device
type, browser and country (the latest-ending session with the value, `Session.last_of_*`).

Only the last 24 hours read hourly rows: this module knows how far back they are complete
and drops older ones.
"""

import datetime as dt

from analytics.counting.rule import hour_of
from analytics.models import Dimension, HourlyBreakdown, HourlyHorizon, HourlyRollup

HOUR = dt.timedelta(hours=1)
HOURLY_KEPT = dt.timedelta(days=3)
SESSION_MARKS = {
    Dimension.DEVICE_TYPE: ("device_type", "last_of_device_type"),
    Dimension.BROWSER: ("browser", "last_of_browser"),
    Dimension.COUNTRY: ("country", "last_of_country"),
}
PAGEVIEW_MARKS = ("last_of_visitor", "last_of_path")
SESSION_MARK_NAMES = tuple(attribute for _, attribute in SESSION_MARKS.values())


def kept_from() -> dt.datetime | None:
    """The earliest hour the hourly rollups are complete from; None when nothing was ever dropped."""
    return HourlyHorizon.objects.values_list("kept_from", flat=True).first()


def hourly_rollups_recounted(*, now: dt.datetime) -> None:
    """Every site's recent days were counted again (`rebuild_recent_hours`): the hourly rows are complete from
    two days back, whatever was dropped or missing before (data loaded in bulk, an upgrade)."""
    recounted_from = hour_of(now - 2 * dt.timedelta(days=1))
    kept = kept_from()
    if kept is not None and kept > recounted_from:
        HourlyHorizon.objects.update(kept_from=recounted_from)


def prune_hourly_rollups(*, now: dt.datetime) -> int:
    """Drop the hourly rows older than `HOURLY_KEPT` (only the last 24 hours read them), at most once a day."""
    cutoff = hour_of(now - HOURLY_KEPT)
    kept = kept_from()
    if kept is not None and cutoff - kept < dt.timedelta(days=1):
        return 0
    deleted, _ = HourlyBreakdown.objects.filter(hour__lt=cutoff).delete()
    deleted += HourlyRollup.objects.filter(hour__lt=cutoff).delete()[0]
    HourlyHorizon.objects.all().delete()
    HourlyHorizon.objects.create(kept_from=cutoff)
    return deleted
