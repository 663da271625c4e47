"""Running totals per day period (7, 30, 90, 365 days): a long period's top N as an index read.

For each site, `PeriodTotal` holds one row per (dimension, value) and in it, per period
length n, the sum of the day rows (`Breakdown`) of every day from that site's
`PeriodWindow(days=n).first_day` on (the columns `period_fields(n)` names). Three things
keep them so, all under the site's roll-up lock:

- every batch adds its per-day changes to each period's columns whose `first_day` is not
  after their day (`add_to_period_totals`, in the batch's transaction), one row per changed
  value, and notes when its earliest such day will leave each period;
- when a day holding data leaves a period, the worker subtracts the leaving days' rows
  from that period's columns alone and moves its `first_day` to the period's first day
  (`slide_site_periods`);
- a rebuild, or the worker's first visit to a site without totals, sums every period's
  columns from the day rows in one statement (`build_period_totals`).

A reader uses a period's columns only when they hold exactly the period's days: `first_day`
is not after the period's first day and no day before the period or after today holds data
(`analytics.counting.read_days`); otherwise it sums the period's day rows. Both are exact; the
totals make the long tail cheap (262,144 distinct paths: 365d in a few ms instead of 1.6 s).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Min, Q, Sum
from django.db.models.functions import Coalesce

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
from analytics.periods import PERIOD_DAYS
from analytics.raw_writes import is_postgresql


def period_fields(days: int) -> tuple[str, str, str]:
    """The `PeriodTotal` fields holding a value's pageviews, visitors and visits over the period of `days` days."""
    pageviews, visitors, visits = VALUE_FIELDS
    return f"{pageviews}_{days}", f"{visitors}_{days}", f"{visits}_{days}"


PERIOD_FIELDS = tuple(field for days in PERIOD_DAYS for field in period_fields(days))


def period_slice(days: int) -> slice:
    """Where the counts of the period of `days` days lie in a row of counts in the order of `PERIOD_FIELDS`."""
    first = PERIOD_FIELDS.index(period_fields(days)[0])
    return slice(first, first + len(VALUE_FIELDS))


KEY_FIELDS = ("dimension", "value_key", "value")
ANALYZE_AFTER_ROWS = 10_000


def spread_select() -> str:
    """PostgreSQL: a batch's per-(day, dimension, value) changes, sent once, made into one change per value, each
    period's columns summing the changes of the days from that period's first day on (SQLite sums them in
    `add_to_period_totals`). A day change joins the windows counting its day, so it is added to those periods
    alone; a value whose every sum is zero makes no change."""
    sums = [
        f"coalesce(sum(given.{field}) FILTER (WHERE periods.days = {days}), 0)::integer"
        for days in PERIOD_DAYS
        for field in VALUE_FIELDS
    ]
    nonzero = " OR ".join(f"{total} <> 0" for total in sums)
    return (
        f"SELECT given.site_id, given.dimension, given.value_key, given.value, {', '.join(sums)} "
        f"FROM given JOIN {PeriodWindow._meta.db_table} AS periods "
        "ON periods.site_id = given.site_id AND given.start >= periods.first_day "
        f"GROUP BY given.site_id, given.dimension, given.value_key, given.value HAVING {nonzero}"
    )


PERIODS_OF_DAY_CHANGES = Spread(
    model=Breakdown, fields=("site", "start", "dimension", "value_key", "value", *VALUE_FIELDS), select=spread_select()
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
    PostgreSQL sends the day rows once and makes them one change per value, each day's change in the columns of
    every period that counts its day (`PERIODS_OF_DAY_CHANGES`); SQLite sums them in `add_to_period_totals`."""
    days_changed = {
        site_id: {day for (day, _, _), counts in site_changes.items() if any(counts)}
        for site_id, site_changes in changes.items()
    }
    write = None
    if is_postgresql():
        write = prepare_counts(
            PeriodTotal,
            key_fields=KEY_FIELDS,
            count_fields=PERIOD_FIELDS,
            rows=day_rows,
            spread=PERIODS_OF_DAY_CHANGES,
        )
    return PeriodTotalsChange(changes, days_changed, write)


def add_to_period_totals(change: PeriodTotalsChange) -> None:
    """Add each site's batch of per-(day, dimension, value) changes to the columns of every period counting each
    day, and note when the earliest of those days leaves each period. A site without totals yet is left to the
    worker."""
    windows_of: dict[int, list[PeriodWindow]] = defaultdict(list)
    for window in PeriodWindow.objects.filter(site_id__in=sorted(change.changes)):
        windows_of[window.site_id].append(window)
    if not windows_of:
        return  # no site has totals yet (a rebuild sums them after its days): nothing to add them to
    for site_id, windows in sorted(windows_of.items()):
        for window in windows:
            counted = [day for day in change.days_changed[site_id] if day >= window.first_day]
            if not counted:
                continue
            due_on = min(counted) + dt.timedelta(days=window.days)
            if window.due_on is None or due_on < window.due_on:
                PeriodWindow.objects.filter(pk=window.pk).update(due_on=due_on)
    if is_postgresql():
        run_counts(change.write)
        return
    summed: dict[tuple[int, int, str], list[int]] = {}
    for site_id, windows in sorted(windows_of.items()):
        changed = [(key, counts) for key, counts in change.changes[site_id].items() if any(counts)]
        for window in windows:
            for (day, dimension, value), counts in changed:
                if day >= window.first_day:
                    add_to_period(summed, (site_id, dimension, value), days=window.days, counts=counts)
    add_to_totals(summed)


def add_to_period(
    summed: dict[tuple[int, int, str], list[int]], key: tuple[int, int, str], *, days: int, counts: Sequence[int]
) -> None:
    """Add `counts` (pageviews, visitors, visits) to the columns of the period of `days` days in `summed`'s row of
    `key` (site id, dimension, value), made of zeros if new."""
    row = summed.setdefault(key, [0] * len(PERIOD_FIELDS))
    place = period_slice(days)
    row[place] = [total + count for total, count in zip(row[place], counts, strict=True)]


def add_to_totals(changes: Mapping[tuple[int, int, str], Sequence[int]]) -> None:
    """Add `changes` (by site id, dimension, value; counts in the order of `PERIOD_FIELDS`) to the total rows
    through the one counter writer (found by value key, dropped when every count is zero)."""
    add_counts(
        PeriodTotal,
        key_fields=KEY_FIELDS,
        count_fields=PERIOD_FIELDS,
        rows=[
            (site_id, dimension, value_key(value), value, *change)
            for (site_id, dimension, value), change in changes.items()
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
    how many periods were built. One INSERT … SELECT for every period (a sum per period's columns of the day rows
    from its first day on): the rows never travel through Python.

    The caller holds the site's roll-up lock, in a transaction.
    """
    PeriodTotal.objects.filter(site=site).delete()
    PeriodWindow.objects.filter(site=site).delete()
    today = now.astimezone(site.tzinfo).date()
    first_days = {days: first_day_of(days=days, today=today) for days in PERIOD_DAYS}
    sums = {
        field: Coalesce(Sum(summed, filter=Q(start__gte=first_days[days])), 0)
        for days in PERIOD_DAYS
        for field, summed in zip(period_fields(days), VALUE_FIELDS, strict=True)
    }
    rows = (
        Breakdown.objects.filter(site=site, start__gte=min(first_days.values()))
        .values(*KEY_FIELDS)
        .annotate(**sums)
        .values(*KEY_FIELDS, *PERIOD_FIELDS)
        .order_by()
    )
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    fields = ("site", *KEY_FIELDS, *PERIOD_FIELDS)
    columns = ", ".join(quote(PeriodTotal._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(PeriodTotal._meta.db_table)} ({columns}) SELECT %s, sums.* FROM ({sql}) sums",
            [site.pk, *params],
        )
        inserted = max(cursor.rowcount, 0)
    for days, first_day in first_days.items():
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
    `now`, subtracting the days that left from that period's columns alone (one write for every period moved);
    returns how many periods moved.

    The caller holds the site's roll-up lock, in a transaction.
    """
    today = now.astimezone(site.tzinfo).date()
    moved = 0
    leaving: dict[tuple[int, int, str], list[int]] = {}
    for window in PeriodWindow.objects.filter(site=site, due_on__lte=today):
        first_day = first_day_of(days=window.days, today=today)
        if first_day <= window.first_day:
            continue
        for dimension, value, counts in day_sums(site=site, since=window.first_day, before=first_day):
            add_to_period(leaving, (site.pk, dimension, value), days=window.days, counts=[-count for count in counts])
        window.first_day = first_day
        window.due_on = next_due(site=site, days=window.days, first_day=first_day)
        window.save(update_fields=["first_day", "due_on"])
        moved += 1
    add_to_totals(leaving)
    return moved
