"""Running totals per day period (7, 30, 90, 365 days): a long period's top N as an index read.

For each site and period length n, `PeriodTotal` holds per value the sum of the day rows
(`Breakdown`) of every day from `PeriodWindow.first_day` on. Three things keep it
so, all under the site's roll-up lock:

- every batch adds its per-day changes of days from `first_day` on (`add_to_period_totals`,
  in the batch's transaction), and notes when its earliest such day will leave the period;
- when a day holding data leaves the period, the worker subtracts the leaving days' rows
  and moves `first_day` to the period's first day (`slide_site_periods`);
- a rebuild, or the worker's first visit to a site without totals, sums them from the day
  rows (`build_period_totals`).

A reader uses the totals only when they hold exactly the period's days: `first_day` is not
after the period's first day and no day before the period or after today holds data
(`analytics.counting.read_days`); otherwise it sums the period's day rows. Both are exact; the
totals make the long tail cheap (262,144 distinct paths: 365d in a few ms instead of 1.6 s).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Min, Sum

from analytics.counting.counters import (
    VALUE_FIELDS,
    CounterWrite,
    Spread,
    add_counts,
    prepare_counts,
    run_counts,
    value_key,
)
from analytics.models import Breakdown, DailyRollup, PeriodTotal, PeriodWindow, Site
from analytics.periods import Period
from analytics.raw_writes import is_postgresql

PERIOD_DAYS = tuple(period.days for period in Period if period.days is not None)
ANALYZE_AFTER_ROWS = 10_000
# PostgreSQL: a batch's per-(day, dimension, value) changes, sent once, added to the totals of every period whose
# first day is not after their day, summed per value (SQLite sums them in `add_to_period_totals`).
PERIODS_OF_DAY_CHANGES = Spread(
    model=Breakdown,
    fields=("site", "start", "dimension", "value_key", "value", *VALUE_FIELDS),
    select=(
        "SELECT given.site_id, periods.days, given.dimension, given.value_key, given.value, "
        "sum(given.pageviews)::integer, sum(given.visitors)::integer, sum(given.visits)::integer "
        f"FROM given JOIN {PeriodWindow._meta.db_table} AS periods "
        "ON periods.site_id = given.site_id AND given.start >= periods.first_day "
        "GROUP BY given.site_id, periods.days, given.dimension, given.value_key, given.value "
        "HAVING sum(given.pageviews) <> 0 OR sum(given.visitors) <> 0 OR sum(given.visits) <> 0"
    ),
)

Change = tuple[int, int, int]  # (pageviews, visitors, visits)


def first_day_of(*, days: int, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=days - 1)


@dataclass(frozen=True)
class PeriodTotalsChange:
    """A batch's change of the period totals made ready before the sites' roll-up locks are taken
    (`prepare_period_totals`): the days each site's changes fall on and, on PostgreSQL, the counter write."""

    changes: Mapping[int, Mapping[tuple[dt.date, int, str], list[int]]]
    days_changed: dict[int, set[dt.date]]
    write: CounterWrite | None


def prepare_period_totals(
    changes: Mapping[int, Mapping[tuple[dt.date, int, str], list[int]]], *, day_rows: Sequence[tuple]
) -> PeriodTotalsChange:
    """Each site's per-(day, dimension, value) changes (by site id), also as the day rows `store` writes them
    (`day_rows`: site id, day, dimension, value key, value, counts), made ready for `add_to_period_totals`.
    PostgreSQL sends the day rows once and adds each to the totals of every period that counts its day
    (`PERIODS_OF_DAY_CHANGES`); SQLite sums them per period in `add_to_period_totals`."""
    days_changed = {
        site_id: {day for (day, _, _), counts in site_changes.items() if any(counts)}
        for site_id, site_changes in changes.items()
    }
    write = None
    if is_postgresql():
        write = prepare_counts(
            PeriodTotal,
            key_fields=("days", "dimension", "value_key", "value"),
            count_fields=VALUE_FIELDS,
            rows=day_rows,
            spread=PERIODS_OF_DAY_CHANGES,
        )
    return PeriodTotalsChange(changes, days_changed, write)


def add_to_period_totals(change: PeriodTotalsChange) -> None:
    """Add each site's batch of per-(day, dimension, value) changes to the totals counting each day, and note when
    the earliest of those days leaves each period. A site without totals yet is left to the worker."""
    windows_of: dict[int, list[PeriodWindow]] = defaultdict(list)
    for window in PeriodWindow.objects.filter(site_id__in=sorted(change.changes)):
        windows_of[window.site_id].append(window)
    for site_id, windows in sorted(windows_of.items()):
        for window in windows:
            counted = [day for day in change.days_changed[site_id] if day >= window.first_day]
            if not counted:
                continue
            due_on = min(counted) + dt.timedelta(days=window.days)
            if window.due_on is None or due_on < window.due_on:
                PeriodWindow.objects.filter(pk=window.pk).update(due_on=due_on)
    if change.write is not None or is_postgresql():
        run_counts(change.write)
        return
    summed: dict[tuple[int, int, int, str], list[int]] = {}
    for site_id, windows in sorted(windows_of.items()):
        changed = [(key, counts) for key, counts in change.changes[site_id].items() if any(counts)]
        for window in windows:
            for (day, dimension, value), counts in changed:
                if day < window.first_day:
                    continue
                key = (site_id, window.days, dimension, value)
                total = summed.get(key)
                if total is None:
                    summed[key] = list(counts)
                else:
                    for index, count in enumerate(counts):
                        total[index] += count
    add_to_totals({key: tuple(counts) for key, counts in summed.items()})


def add_to_totals(changes: Mapping[tuple[int, int, int, str], Change]) -> None:
    """Add `changes` (by site id, days, dimension, value) to the total rows through the one counter writer (found
    by value key, dropped at zero)."""
    add_counts(
        PeriodTotal,
        key_fields=("days", "dimension", "value_key", "value"),
        count_fields=VALUE_FIELDS,
        rows=[
            (site_id, days, dimension, value_key(value), value, *change)
            for (site_id, days, dimension, value), change in changes.items()
        ],
    )


def day_sums(*, site: Site, since: dt.date, before: dt.date) -> Iterable[tuple[int, str, Change]]:
    """Per (dimension, value), the sum of the day rows from `since` to the day before `before`."""
    rows = (
        Breakdown.objects.filter(site=site, start__gte=since, start__lt=before)
        .values_list("dimension", "value")
        .annotate(Sum("pageviews"), Sum("visitors"), Sum("visits"))
        .order_by()
    )
    for dimension, value, pageviews, visitors, visits in rows.iterator(chunk_size=5000):
        yield dimension, value, (pageviews, visitors, visits)


def next_due(*, site: Site, days: int, first_day: dt.date) -> dt.date | None:
    """The date the earliest day holding data, from `first_day` on, leaves the period; None without data."""
    earliest = DailyRollup.objects.filter(site=site, day__gte=first_day).aggregate(day=Min("day"))["day"]
    return None if earliest is None else earliest + dt.timedelta(days=days)


def build_period_totals(*, site: Site, now: dt.datetime) -> int:
    """Sum `site`'s totals afresh from its day rows, each period starting at its first day as of `now`; returns
    how many periods were built. INSERT … SELECT: the rows never travel through Python.

    The caller holds the site's roll-up lock, in a transaction.
    """
    PeriodTotal.objects.filter(site=site).delete()
    PeriodWindow.objects.filter(site=site).delete()
    today = now.astimezone(site.tzinfo).date()
    quote = connection.ops.quote_name
    names = ("site", "days", "dimension", "value_key", "value", "pageviews", "visitors", "visits")
    columns = ", ".join(quote(PeriodTotal._meta.get_field(name).column) for name in names)
    inserted = 0
    for days in PERIOD_DAYS:
        first_day = first_day_of(days=days, today=today)
        sums = (
            Breakdown.objects.filter(site=site, start__gte=first_day)
            .values("dimension", "value_key", "value")
            .annotate(summed_pageviews=Sum("pageviews"))
            .annotate(summed_visitors=Sum("visitors"), summed_visits=Sum("visits"))
            .order_by()
        )
        sql, params = sums.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(PeriodTotal._meta.db_table)} ({columns}) SELECT %s, %s, sums.* FROM ({sql}) sums",
                [site.pk, days, *params],
            )
            inserted += max(cursor.rowcount, 0)
        PeriodWindow.objects.create(
            site=site, days=days, first_day=first_day, due_on=next_due(site=site, days=days, first_day=first_day)
        )
    if connection.vendor == "postgresql" and inserted > ANALYZE_AFTER_ROWS:
        with connection.cursor() as cursor:
            # Batches find their rows with one join over a few hundred values: planned on statistics that
            # predate a big site's totals, it reads every row of the site instead (298 ms against 21 ms).
            cursor.execute(f"ANALYZE {quote(PeriodTotal._meta.db_table)}")
    return len(PERIOD_DAYS)


def slide_site_periods(*, site: Site, now: dt.datetime) -> int:
    """Move every period of `site` whose earliest day with data has left it to start at its first day as of
    `now`, subtracting the days that left; returns how many periods moved.

    The caller holds the site's roll-up lock, in a transaction.
    """
    today = now.astimezone(site.tzinfo).date()
    moved = 0
    for window in PeriodWindow.objects.filter(site=site, due_on__lte=today):
        first_day = first_day_of(days=window.days, today=today)
        if first_day <= window.first_day:
            continue
        leaving = {
            (site.pk, window.days, dimension, value): tuple(-count for count in counts)
            for dimension, value, counts in day_sums(site=site, since=window.first_day, before=first_day)
        }
        add_to_totals(leaving)
        window.first_day = first_day
        window.due_on = next_due(site=site, days=window.days, first_day=first_day)
        window.save(update_fields=["first_day", "due_on"])
        moved += 1
    return moved
