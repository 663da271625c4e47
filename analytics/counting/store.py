"""Storing a change of counts: the one place a change in the rule's terms reaches every derived table."""

from collections.abc import Mapping

from analytics.counting.counters import (
    TOTAL_FIELDS,
    VALUE_FIELDS,
    CounterWrite,
    lock_sites,
    prepare_counts,
    row_by_row,
    run_counts,
    value_key,
)
from analytics.counting.periods import add_to_period_totals, prepare_period_totals
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
    writers of one site never lose each other's additions. Every statement is made ready (rows
    keyed, columns encoded) before the locks are taken: a second worker writing the same sites
    waits only while statements run. `fresh`: the caller emptied the rows of these days and hours
    (a rebuild), so they are inserted without looking for stored ones.
    """
    site_ids = sorted(changes)
    day_values = [
        (site_id, day, dimension, value_key(value), value, *counts)
        for site_id in site_ids
        for (day, dimension, value), counts in changes[site_id].values.items()
    ]
    writes = prepared_writes(changes, site_ids=site_ids, day_values=day_values, fresh=fresh)
    period_totals = prepare_period_totals(
        {site_id: changes[site_id].values for site_id in site_ids}, day_rows=day_values
    )
    lock_sites(site_ids)
    with row_by_row():
        for write in writes:
            run_counts(write)
        add_to_period_totals(period_totals)


def prepared_writes(
    changes: Mapping[int, Counts], *, site_ids: list[int], day_values: list[tuple], fresh: bool
) -> list[CounterWrite | None]:
    return [
        prepare_counts(
            DailyRollup,
            key_fields=("day",),
            count_fields=TOTAL_FIELDS,
            fresh=fresh,
            rows=[
                (site_id, day, *counts) for site_id in site_ids for day, counts in sorted(changes[site_id].days.items())
            ],
        ),
        prepare_counts(
            Breakdown,
            key_fields=("start", "dimension", "value_key", "value"),
            count_fields=VALUE_FIELDS,
            fresh=fresh,
            rows=day_values,
        ),
        prepare_counts(
            HourlyRollup,
            key_fields=("hour", "day"),
            count_fields=TOTAL_FIELDS,
            fresh=fresh,
            rows=[
                (site_id, hour, day, *counts)
                for site_id in site_ids
                for (hour, day), counts in changes[site_id].hours.items()
            ],
        ),
        prepare_counts(
            HourlyBreakdown,
            key_fields=("hour", "day", "dimension", "value_key", "value"),
            count_fields=VALUE_FIELDS,
            fresh=fresh,
            rows=[
                (site_id, hour, day, dimension, value_key(value), value, *counts)
                for site_id in site_ids
                for (hour, day, dimension, value), counts in changes[site_id].hour_values.items()
            ],
        ),
    ]
