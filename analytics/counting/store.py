"""Storing a change of counts: the one place a change in the rule's terms reaches every derived table."""

from analytics.counting.counters import TOTAL_FIELDS, VALUE_FIELDS, add_counts, lock_site, value_key
from analytics.counting.periods import add_to_period_totals
from analytics.counting.rule import Counts
from analytics.models import Breakdown, DailyRollup, HourlyBreakdown, HourlyRollup, Site


def store_change(*, site: Site, change: Counts, fresh: bool = False) -> None:
    """Add `change` to the site's day rows, per-value day rows, hourly rows and the period totals counting its days.

    Runs inside the writer's transaction (a batch, a recount, a rebuild) and takes the site's
    roll-up lock, so a reader sees the raw rows and every count of a batch together, and two
    writers of one site never lose each other's additions. `fresh`: the caller emptied the rows
    of these days and hours (a rebuild), so they are inserted without looking for stored ones.
    """
    lock_site(site)
    add_counts(
        DailyRollup,
        site_id=site.pk,
        key_fields=("day",),
        count_fields=TOTAL_FIELDS,
        fresh=fresh,
        rows=[(day, *counts) for day, counts in sorted(change.days.items())],
    )
    add_counts(
        Breakdown,
        site_id=site.pk,
        key_fields=("start", "dimension", "value_key", "value"),
        count_fields=VALUE_FIELDS,
        fresh=fresh,
        rows=[
            (day, dimension, value_key(value), value, *counts)
            for (day, dimension, value), counts in change.values.items()
        ],
    )
    add_counts(
        HourlyRollup,
        site_id=site.pk,
        key_fields=("hour", "day"),
        count_fields=TOTAL_FIELDS,
        fresh=fresh,
        rows=[(hour, day, *counts) for (hour, day), counts in change.hours.items()],
    )
    add_counts(
        HourlyBreakdown,
        site_id=site.pk,
        key_fields=("hour", "day", "dimension", "value_key", "value"),
        count_fields=VALUE_FIELDS,
        fresh=fresh,
        rows=[
            (hour, day, dimension, value_key(value), value, *counts)
            for (hour, day, dimension, value), counts in change.hour_values.items()
        ],
    )
    add_to_period_totals(site=site, changes=change.values)
