"""The rollups' structure: per-day counts, power-of-two blocks of days, and rebuilding them from raw rows.

Every batch of pageviews adds its own change to the rollups as it is written
(`analytics.aggregates`), so they are always current. What is left here: summing a
block of days once it is over (so a long period reads a handful of rows per value),
re-counting a day from its raw rows, and rebuilding a site from scratch — after a
bulk load, or to repair — while the other sites keep answering from theirs.
"""

import datetime as dt
import functools
import logging
import multiprocessing
import operator
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import reduce

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Max, Min, OuterRef, Q, QuerySet, Subquery, Sum

from analytics.blocks import SUMMED_LEVELS, Block, block_last_day, block_start, blocks_containing, parts
from analytics.counting.recount import RecountedDay, recount_day
from analytics.counting.visitor_days import SESSION_FIELDS, insert_all, session_values, write_moved_marks
from analytics.hourly_rollups import HOURLY_KEPT, HourChanges, apply_hour_changes, hourly_rollups_recounted
from analytics.models import (
    BlockSchedule,
    Breakdown,
    DailyRollup,
    HourlyBreakdown,
    HourlyRollup,
    Pageview,
    PeriodTotal,
    PeriodWindow,
    Session,
    Site,
    SummedBlock,
)
from analytics.period_totals import build_period_totals, slide_site_periods
from analytics.periods import dates_between, local_midnight
from analytics.raw_writes import insert_rows, is_postgresql, update_rows

logger = logging.getLogger("glimpse.rollups")

ROLLUP_LOCK = 0x676C696D  # "glim": the advisory-lock namespace of roll-ups
ROLLUP_MODELS = (
    DailyRollup,
    Breakdown,
    SummedBlock,
    BlockSchedule,
    PeriodTotal,
    PeriodWindow,
    HourlyRollup,
    HourlyBreakdown,
)
ONE_DAY = dt.timedelta(days=1)
CHANGES_PER_QUERY = 500


@dataclass(frozen=True)
class RollupResult:
    days: int
    blocks: int
    seconds: float
    periods: int = 0


def lock_site(site: Site) -> None:
    """Serialise concurrent roll-ups of one site (a second worker, a manual run); SQLite has one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROLLUP_LOCK, site.pk % (1 << 31)])


def insert_breakdown(constants: list, counts: QuerySet) -> None:
    """INSERT … SELECT `constants` + the rows of `counts`: the rows never travel through Python."""
    quote = connection.ops.quote_name
    names = ("site", "level", "start", "dimension", "value", "pageviews", "visitors", "visits")
    columns = ", ".join(quote(Breakdown._meta.get_field(name).column) for name in names)
    placeholders = ", ".join(["%s"] * len(constants))
    sql, params = counts.query.sql_with_params()
    table = quote(Breakdown._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {placeholders}, parts.* FROM ({sql}) parts", [*constants, *params]
        )


def summed_blocks_holding(*, site: Site, day: dt.date) -> list[Block]:
    """The summed blocks of `site` that hold `day`: a change to the day must reach each of them."""
    holding_day = reduce(operator.or_, (Q(level=level, start=start) for level, start in blocks_containing(day)))
    return sorted(SummedBlock.objects.filter(holding_day, site=site).values_list("level", "start"))


def add_changes(*, site: Site, block: Block, changes: list[dict]) -> None:
    """Add a day's changes to the rows of a block (or of the day itself) holding it."""
    add_block_changes(site=site, changes={block: changes})


def add_block_changes(*, site: Site, changes: dict[Block, list[dict]]) -> None:
    """Add changes to the rows of several blocks (days included) at once: `changes` per block.

    Only the values that changed are touched: their rows are read, given the sums, and
    dropped where every count falls to zero, as a sum from scratch would have no row for
    them. Changes go in batches, so no query outgrows the databases' limits on parameters
    however many values a day has. The caller holds the site's roll-up lock (`lock_site`):
    the rows are read and written back, and two writers must not interleave.
    """
    pairs = [(block, change) for block, block_changes in changes.items() for change in block_changes]
    for first in range(0, len(pairs), CHANGES_PER_QUERY):
        add_change_batch(site=site, changes=pairs[first : first + CHANGES_PER_QUERY])


BREAKDOWN_FIELDS = ("level", "start", "dimension", "value", "pageviews", "visitors", "visits")


def add_change_batch(*, site: Site, changes: list[tuple[Block, dict]]) -> None:
    wanted: dict[tuple, tuple[int, int, int]] = {}
    for (level, start), change in changes:
        key = (level, start, change["dimension"], change["value"])
        counts = (change["pageviews_change"], change["visitors_change"], change["visits_change"])
        previous = wanted.get(key, (0, 0, 0))
        wanted[key] = (previous[0] + counts[0], previous[1] + counts[1], previous[2] + counts[2])
    blocks = {(level, start) for level, start, _, _ in wanted}
    in_blocks = reduce(operator.or_, (Q(level=level, start=start) for level, start in blocks))
    rows = Breakdown.objects.filter(
        in_blocks,
        site=site,
        dimension__in={dimension for _, _, dimension, _ in wanted},
        value__in={value for *_, value in wanted},
    ).values_list("id", *BREAKDOWN_FIELDS)
    current = {tuple(row[1:5]): (row[0], row[5:]) for row in rows if tuple(row[1:5]) in wanted}
    new_rows: list[tuple] = []
    updated: list[tuple[int, tuple]] = []
    emptied: list[int] = []
    for key, change in wanted.items():
        row_id, counts = current.get(key, (None, (0, 0, 0)))
        total = (counts[0] + change[0], counts[1] + change[1], counts[2] + change[2])
        if not any(total):
            if row_id is not None:
                emptied.append(row_id)
        elif row_id is None:
            new_rows.append((*key, *total))
        else:
            updated.append((row_id, (*key, *total)))
    write_breakdown_rows(site=site, new_rows=new_rows, updated=updated, emptied=emptied)


def write_breakdown_rows(
    *, site: Site, new_rows: list[tuple], updated: list[tuple[int, tuple]], emptied: list[int]
) -> None:
    """Rows are (level, start, dimension, value, pageviews, visitors, visits); `updated` pairs them with their ids.

    PostgreSQL: one UPDATE and one INSERT from arrays. SQLite: the updated rows are deleted
    and inserted again with the new counts, in one `bulk_create` with the new ones.
    """
    if not is_postgresql():
        Breakdown.objects.filter(id__in=emptied + [row_id for row_id, _ in updated]).delete()
        Breakdown.objects.bulk_create(
            Breakdown(site=site, **dict(zip(BREAKDOWN_FIELDS, row, strict=True)))
            for row in [*new_rows, *(row for _, row in updated)]
        )
        return
    if emptied:
        Breakdown.objects.filter(id__in=emptied).delete()
    if updated:
        counts = [[row[index] for _, row in updated] for index in (4, 5, 6)]
        update_rows(Breakdown, ids=[row_id for row_id, _ in updated], fields=BREAKDOWN_FIELDS[4:], columns=counts)
    if new_rows:
        columns = [[site.pk] * len(new_rows), *([row[index] for row in new_rows] for index in range(7))]
        insert_rows(Breakdown, fields=["site", *BREAKDOWN_FIELDS], columns=columns)


def unsummed_with_data(*, site: Site, block: Block) -> bool:
    level, start = block
    return (
        not SummedBlock.objects.filter(site=site, level=level, start=start).exists()
        and DailyRollup.objects.filter(site=site, day__gte=start, day__lte=block_last_day(block)).exists()
    )


@transaction.atomic
def sum_block(*, site: Site, block: Block) -> None:
    """Sum a block's four parts (`blocks.parts`) into one row per value.

    A part without data has no rows and adds nothing. A part that has data but is not
    summed (it had none when its turn came, and a late pageview arrived since) is
    summed first, so a block never misses any of its days.
    """
    lock_site(site)
    level, start = block
    pieces = parts(block)
    for part in pieces:
        if part[0] > 0 and unsummed_with_data(site=site, block=part):
            sum_block(site=site, block=part)
    Breakdown.objects.filter(site=site, level=level, start=start).delete()
    SummedBlock.objects.filter(site=site, level=level, start=start).delete()
    sums = (
        Breakdown.objects.filter(site=site, level=pieces[0][0], start__in=[part_start for _, part_start in pieces])
        .values("dimension", "value")
        .annotate(Sum("pageviews"), Sum("visitors"), Sum("visits"))
        .order_by()
    )
    insert_breakdown([site.pk, level, connection.ops.adapt_datefield_value(start)], sums)
    SummedBlock.objects.create(site=site, level=level, start=start)


def sum_finished_blocks(*, site: Site, now: dt.datetime) -> int:
    """Sum every block of `site` that is over, holds rolled-up days and is not summed yet, smallest first,
    then note when the next one will be over (`BlockSchedule`)."""
    today = now.astimezone(site.tzinfo).date()
    days = set(DailyRollup.objects.filter(site=site).values_list("day", flat=True))
    summed = set(SummedBlock.objects.filter(site=site).values_list("level", "start"))
    count = 0
    pending: list[Block] = []
    for level in SUMMED_LEVELS:
        wanted = {(level, block_start(day, level)) for day in days}
        for block in sorted(wanted - summed):
            if block_last_day(block) < today:
                sum_block(site=site, block=block)
                count += 1
            else:
                pending.append(block)
    due_on = min((block_last_day(block) + ONE_DAY for block in pending), default=None)
    BlockSchedule.objects.update_or_create(site=site, defaults={"due_on": due_on})
    return count


def schedule_blocks_for(*, site: Site, days: Iterable[dt.date]) -> None:
    """New data on `days` makes blocks due at the latest when the smallest summed block holding the earliest ends.

    One read, and a write only when that is sooner than what is noted: the usual batch changes nothing here.
    """
    smallest = SUMMED_LEVELS[0]
    due_on = min(block_last_day((smallest, block_start(day, smallest))) + ONE_DAY for day in days)
    noted = BlockSchedule.objects.filter(site=site).values_list("due_on", flat=True).first()
    if noted is None or noted > due_on:
        BlockSchedule.objects.update_or_create(site=site, defaults={"due_on": due_on})


def rebuild_site_rollups(*, site: Site, now: dt.datetime) -> RollupResult:
    """Count `site`'s days again from its raw rows, from its first stored pageview to its last.

    Days before the first stored pageview keep their rollups: their raw rows may have been
    pruned (`analytics.retention`), and the rollups are all that is left of them. Blocks
    reaching into the recounted days are dropped and summed again, and the period totals
    summed afresh from the day rows. One transaction:
    readers keep the old rollups until the new ones are complete, and other sites are
    untouched, so rebuilds of different sites can run side by side.
    """
    started = time.perf_counter()
    with transaction.atomic():
        lock_site(site)
        PeriodWindow.objects.filter(site=site).delete()  # summed afresh below, after the days
        span = Pageview.objects.filter(site=site).aggregate(first=Min("timestamp"), last=Max("timestamp"))
        days = blocks = 0
        if span["first"] is not None:
            tz = site.tzinfo
            first, last = span["first"].astimezone(tz).date(), span["last"].astimezone(tz).date()
            forget_rollups_from(site=site, first=first)
            Session.objects.filter(site=site, started_at__gte=local_midnight(first, tz)).delete()
            hours_from = now.astimezone(tz).date() - HOURLY_KEPT
            HourlyRollup.objects.filter(site=site, day__gte=hours_from).delete()
            HourlyBreakdown.objects.filter(site=site, day__gte=hours_from).delete()
            for day in dates_between(first, last):
                write_recounted_day(site=site, recounted=recount_day(site=site, day=day), hours=day >= hours_from)
                days += 1
            blocks = sum_finished_blocks(site=site, now=now)
        build_period_totals(site=site, now=now)
    return RollupResult(days=days, blocks=blocks, seconds=time.perf_counter() - started)


def write_recounted_day(*, site: Site, recounted: RecountedDay, hours: bool) -> None:
    """Store a day counted from scratch (its day, values, sessions and marks; its hourly rows with `hours`), once
    the caller has deleted what was stored for it."""
    for day, (pageviews, visitors, sessions, bounces, duration) in recounted.counts.days.items():
        DailyRollup.objects.create(
            site=site,
            day=day,
            pageviews=pageviews,
            visitors=visitors,
            sessions=sessions,
            bounces=bounces,
            duration=duration,
        )
    insert_all(
        Breakdown,
        fields=("site", "level", "start", "dimension", "value", "pageviews", "visitors", "visits"),
        rows=[
            (site.pk, 0, day, dimension, value, *counts)
            for (day, dimension, value), counts in recounted.counts.values.items()
        ],
    )
    insert_all(
        Session,
        fields=SESSION_FIELDS,
        rows=[(site.pk, visitor_id, *session_values(session)) for visitor_id, session in recounted.sessions],
    )
    write_moved_marks([(pk, *marks) for pk, marks in recounted.marks.items() if marks != recounted.stored_marks[pk]])
    if hours:
        changes = HourChanges()
        changes.totals.update(recounted.counts.hours)
        changes.values.update(recounted.counts.hour_values)
        apply_hour_changes(site=site, changes=changes, fresh=True)


def forget_rollups_from(*, site: Site, first: dt.date) -> None:
    """Drop the rollups of `first` and later, and every summed block reaching into them."""
    DailyRollup.objects.filter(site=site, day__gte=first).delete()
    Breakdown.objects.filter(site=site, level=0, start__gte=first).delete()
    reaching = [
        (level, start)
        for level, start in SummedBlock.objects.filter(site=site).values_list("level", "start")
        if block_last_day((level, start)) >= first
    ]
    for level, start in reaching:
        Breakdown.objects.filter(site=site, level=level, start=start).delete()
        SummedBlock.objects.filter(site=site, level=level, start=start).delete()
    BlockSchedule.objects.filter(site=site).delete()


def rebuild_rollups(*, now: dt.datetime, sites: Iterable[Site] | None = None, jobs: int = 1) -> RollupResult:
    """Rebuild every site (or `sites`), one transaction per site, in `jobs` processes side by side.

    A site that fails is logged and skipped: its old rollups stay, and the others go on.
    """
    started = time.perf_counter()
    site_ids = [site.pk for site in (Site.objects.all() if sites is None else sites)]
    if jobs > 1 and len(site_ids) > 1:
        connections.close_all()  # each process opens its own connection
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(functools.partial(rebuild_site_id, now=now), site_ids))
    else:
        results = [rebuild_site_id(site_id, now=now) for site_id in site_ids]
    days = sum(result.days for result in results)
    blocks = sum(result.blocks for result in results)
    if sites is None:
        hourly_rollups_recounted(now=now)
    with connection.cursor() as cursor:
        for model in ROLLUP_MODELS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return RollupResult(days=days, blocks=blocks, seconds=time.perf_counter() - started)


def rebuild_site_id(site_id: int, *, now: dt.datetime) -> RollupResult:
    try:
        return rebuild_site_rollups(site=Site.objects.get(pk=site_id), now=now)
    except DatabaseError:
        logger.exception("Rebuilding the rollups of site %s failed; its old rollups stay", site_id)
        return RollupResult(days=0, blocks=0, seconds=0.0)
    finally:
        if multiprocessing.parent_process() is not None:
            connections.close_all()


def latest_local_date(now: dt.datetime) -> dt.date:
    """The date it is somewhere: local dates run up to 14 hours ahead of UTC."""
    return (now.astimezone(dt.UTC) + dt.timedelta(hours=14)).date()


def due_in_own_time_zone(candidates: QuerySet[Site], *, due_on: Subquery, now: dt.datetime) -> list[Site]:
    """The `candidates` whose `due_on` (none: always due) has come in their own time zone, in one query.

    The database picks sites due by the latest date anywhere, which is already tomorrow in
    UTC+14 for ten hours of every UTC day; a site of Europe is not due until its own
    midnight, and visiting it before cost about ten queries a site each pass.
    """
    return [
        site
        for site in candidates.annotate(due_on=due_on)
        if site.due_on is None or site.due_on <= now.astimezone(site.tzinfo).date()
    ]


def sum_due_blocks(*, now: dt.datetime, sites: Iterable[Site] | None = None) -> RollupResult:
    """Sum the blocks that are over and not summed yet, for every site that is due (or `sites`).

    Due is judged in each site's own time zone (`due_in_own_time_zone`).
    """
    started = time.perf_counter()
    blocks = 0
    if sites is None:
        scheduled = BlockSchedule.objects.filter(due_on__lte=latest_local_date(now))
        due_on = BlockSchedule.objects.filter(site=OuterRef("pk")).values("due_on")[:1]
        sites = due_in_own_time_zone(Site.objects.filter(pk__in=scheduled.values("site_id")), due_on=due_on, now=now)
    for site in sites:
        blocks += sum_finished_blocks(site=site, now=now)
    return RollupResult(days=0, blocks=blocks, seconds=time.perf_counter() - started)


def slide_due_periods(*, now: dt.datetime, sites: Iterable[Site] | None = None) -> int:
    """Move the period totals whose earliest day with data has left the period, for every site that is due (or
    `sites`), and sum the totals of sites that have data but none yet; returns how many periods were moved or built.

    Due is judged in each site's own time zone, as for blocks; a site without data and an idle site are not visited.
    """
    if sites is None:
        due = PeriodWindow.objects.filter(due_on__lte=latest_local_date(now)).values("site_id")
        without = BlockSchedule.objects.exclude(site_id__in=PeriodWindow.objects.values("site_id")).values("site_id")
        due_on = PeriodWindow.objects.filter(site=OuterRef("pk")).order_by("due_on").values("due_on")[:1]
        candidates = Site.objects.filter(Q(pk__in=due) | Q(pk__in=without)).order_by("pk")
        sites = due_in_own_time_zone(candidates, due_on=due_on, now=now)
    periods = 0
    for site in sites:
        with transaction.atomic():
            lock_site(site)
            if PeriodWindow.objects.filter(site=site).exists():
                periods += slide_site_periods(site=site, now=now)
            else:
                periods += build_period_totals(site=site, now=now)
    return periods
