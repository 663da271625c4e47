"""Storing a change of counts: the one place a change in the rule's terms reaches every derived table."""

from collections.abc import Mapping

from analytics.counting.counters import TOTAL_FIELDS, VALUE_FIELDS, add_counts, lock_sites, row_by_row, value_key
from analytics.counting.periods import add_to_period_totals
from analytics.counting.rule import Counts
from analytics.models import Breakdown, DailyRollup, HourlyBreakdown, HourlyRollup, Site


def store_change(*, site: Site, change: Counts, fresh: bool = False) -> None:
    """`store_changes` for one site."""
    store_changes({site.pk: change}, fresh=fresh)


def store_changes(changes: Mapping[int, Counts], *, fresh: bool = False) -> None:
    """Add each site's change (by site id) to its day rows, per-value day rows, hourly rows and the period totals
    counting its days: one statement per table for all the sites.

    Runs inside the writer's transaction (a batch, a recount, a rebuild) and takes the sites'
    roll-up locks, so a reader sees the raw rows and every count of a batch together, and two
    writers of one site never lose each other's additions. `fresh`: the caller emptied the rows
    of these days and hours (a rebuild), so they are inserted without looking for stored ones.
    """
    site_ids = sorted(changes)
    lock_sites(site_ids)
    with row_by_row():
        add_all(changes, site_ids=site_ids, fresh=fresh)


def add_all(changes: Mapping[int, Counts], *, site_ids: list[int], fresh: bool) -> None:
    add_counts(
        DailyRollup,
        key_fields=("day",),
        count_fields=TOTAL_FIELDS,
        fresh=fresh,
        rows=[(site_id, day, *counts) for site_id in site_ids for day, counts in sorted(changes[site_id].days.items())],
    )
    add_counts(
        Breakdown,
        key_fields=("start", "dimension", "value_key", "value"),
        count_fields=VALUE_FIELDS,
        fresh=fresh,
        rows=[
            (site_id, day, dimension, value_key(value), value, *counts)
            for site_id in site_ids
            for (day, dimension, value), counts in changes[site_id].values.items()
        ],
    )
    add_counts(
        HourlyRollup,
        key_fields=("hour", "day"),
        count_fields=TOTAL_FIELDS,
        fresh=fresh,
        rows=[
            (site_id, hour, day, *counts)
            for site_id in site_ids
            for (hour, day), counts in changes[site_id].hours.items()
        ],
    )
    add_counts(
        HourlyBreakdown,
        key_fields=("hour", "day", "dimension", "value_key", "value"),
        count_fields=VALUE_FIELDS,
        fresh=fresh,
        rows=[
            (site_id, hour, day, dimension, value_key(value), value, *counts)
            for site_id in site_ids
            for (hour, day, dimension, value), counts in changes[site_id].hour_values.items()
        ],
    )
    add_to_period_totals({site_id: change.values for site_id, change in changes.items()})
