"""Hourly rollups: what lets the last 24 hours be counted without reading a day of raw rows.

The 24-hour window starts at an arbitrary instant, so its visitors cannot be a sum of
per-hour distinct counts: a visitor seen in two hours would count twice. Instead each
hour counts the visitors whose *latest* pageview of the day falls in it. A visitor id
lives within one local day (docs/definitions.md, "Visitors and sessions") and nothing is
recorded after now, so a visitor has a pageview in [start, now) exactly when its latest
pageview is at or after start: the hours after the window's first (partial) hour add up
their visitors exactly, and the first hour is counted from its raw rows, where the
latest pageview of each visitor carries a mark (`Pageview.last_of_visitor`). The same
holds per path (`last_of_path`) and per device type, browser and country (the
latest-ending session with the value, `Session.last_of_*`).

The writer keeps marks and hours exact from each batch and its visitors' state before
it, like `analytics.aggregates`: when a visitor's latest pageview moves to a later hour,
one visitor moves from the old hour to the new one. Sessions count in the hour they
start in, and move with it when a late pageview starts them earlier.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from analytics.models import Dimension, HourlyBreakdown, HourlyHorizon, HourlyRollup, Site
from analytics.raw_writes import add_to_counts, insert_many, prepared_row

HOUR = dt.timedelta(hours=1)
HOURLY_KEPT = dt.timedelta(days=3)
SESSION_MARKS = {
    Dimension.DEVICE_TYPE: ("device_type", "last_of_device_type"),
    Dimension.BROWSER: ("browser", "last_of_browser"),
    Dimension.COUNTRY: ("country", "last_of_country"),
}
PAGEVIEW_MARKS = ("last_of_visitor", "last_of_path")
SESSION_MARK_NAMES = tuple(attribute for _, attribute in SESSION_MARKS.values())
TOTAL_FIELDS = ("pageviews", "visitors", "sessions", "bounces", "duration")
VALUE_FIELDS = ("pageviews", "visitors", "visits")
ROWS_PER_QUERY = 500


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


Slot = tuple[dt.datetime, dt.date]  # (UTC hour, local day)
PAGEVIEWS, VISITORS, SESSIONS, BOUNCES, DURATION = range(5)  # TOTAL_FIELDS
VALUE_PAGEVIEWS, VALUE_VISITORS, VALUE_VISITS = range(3)  # VALUE_FIELDS


@dataclass
class HourChanges:
    """What a batch adds to one site's hourly rollups: per (hour, day) totals and per (hour, day, dimension, value)."""

    totals: dict[Slot, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 5))
    values: dict[tuple[dt.datetime, dt.date, int, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * 3)
    )

    def add_value(self, slot: Slot, dimension: int, value: str, index: int, amount: int) -> None:
        self.values[(slot[0], slot[1], dimension, value)][index] += amount


def value_key(value: str) -> int:
    """The 64-bit key a value's hourly rows are found by (signed, as the column is)."""
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)


def apply_hour_changes(*, site: Site, changes: HourChanges, fresh: bool = False) -> None:
    """Add the changes to the hourly rows: one upsert for the totals, one update and one insert for the values.

    `fresh`: the rows were just deleted (a recount), so everything is inserted.
    """
    totals = {key: counts for key, counts in changes.totals.items() if any(counts)}
    values = {key: counts for key, counts in changes.values.items() if any(counts)}
    add_totals(site=site, totals=totals)
    if fresh:
        insert_many(
            HourlyBreakdown, fields=("site", *CHANGE_FIELDS), rows=[(site.pk, *row) for row in value_rows(values)]
        )
    else:
        add_values(site=site, values=values)


def add_totals(*, site: Site, totals: dict[tuple[dt.datetime, dt.date], list[int]]) -> None:
    if not totals:
        return
    quote = connection.ops.quote_name
    table = quote(HourlyRollup._meta.db_table)
    columns = ", ".join(TOTAL_FIELDS)
    sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in TOTAL_FIELDS)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(totals))
    params: list = []
    for (hour, day), counts in totals.items():
        params += prepared_row(HourlyRollup, ("site", "hour", "day", *TOTAL_FIELDS), (site.pk, hour, day, *counts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (site_id, hour, day, {columns}) VALUES {rows} "
            f"ON CONFLICT (site_id, hour, day) DO UPDATE SET {sums}",
            params,
        )
    # A visitor or a session that moved to another hour leaves nothing behind: a count from scratch has no row.
    HourlyRollup.objects.filter(
        site=site, hour__in={hour for hour, _ in totals}, pageviews=0, visitors=0, sessions=0
    ).delete()


def add_values(*, site: Site, values: dict[tuple[dt.datetime, dt.date, int, str], list[int]]) -> None:
    """Add to the rows that exist, found by `value_key` (and the value itself), then insert the others.

    No unique index backs an upsert here: a value may be 2,000 characters, more than a
    PostgreSQL index entry holds, and its 64-bit key alone could in principle collide.
    The site's roll-up lock keeps two writers apart.
    """
    rows = value_rows(values)
    found = add_to_counts(HourlyBreakdown, site_id=site.pk, key_fields=CHANGE_FIELDS[:5], rows=rows)
    updated = {(parse_hour(hour), parse_day(day), dimension, value) for _, hour, day, dimension, _, value, *_ in found}
    insert_many(
        HourlyBreakdown,
        fields=("site", *CHANGE_FIELDS),
        rows=[(site.pk, *row) for row in rows if (row[0], row[1], row[2], row[4]) not in updated],
    )


CHANGE_FIELDS = ("hour", "day", "dimension", "value_key", "value", *VALUE_FIELDS)


def value_rows(values: dict[tuple[dt.datetime, dt.date, int, str], list[int]]) -> list[tuple]:
    """The changes as rows of `CHANGE_FIELDS`."""
    return [
        (hour, day, dimension, value_key(value), value, *counts)
        for (hour, day, dimension, value), counts in values.items()
    ]


def parse_hour(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_day(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


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
