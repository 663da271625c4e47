"""Counting days again from raw pageviews and storing them: a site from scratch, or one day in place.

Both use the rule through `recount_day` and store through `store_change`, as a batch does:
a rebuild stores each recounted day into emptied rows, a one-day recount stores the
difference between the recount and what was stored. Sessions and marks are written anew.
"""

import datetime as dt
import functools
import logging
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Max, Min

from analytics.counting.counters import lock_site
from analytics.counting.hours import HOURLY_KEPT, hourly_rollups_recounted
from analytics.counting.periods import build_period_totals
from analytics.counting.recount import RecountedDay, recount_day, stored_day_counts
from analytics.counting.rule import Counts
from analytics.counting.store import store_change
from analytics.counting.visitor_days import SESSION_FIELDS, insert_all, session_values, write_moved_marks
from analytics.models import (
    Breakdown,
    DailyRollup,
    HourlyBreakdown,
    HourlyRollup,
    Pageview,
    PeriodTotal,
    PeriodWindow,
    Session,
    Site,
)
from analytics.periods import dates_between, days_window, local_midnight

logger = logging.getLogger("glimpse.rollups")

DERIVED_MODELS = (DailyRollup, Breakdown, PeriodTotal, PeriodWindow, HourlyRollup, HourlyBreakdown, Session)


@dataclass(frozen=True)
class RollupResult:
    days: int
    seconds: float
    periods: int = 0


def rebuild_site_rollups(*, site: Site, now: dt.datetime) -> RollupResult:
    """Count `site`'s days again from its raw rows, from its first stored pageview to its last.

    Days before the first stored pageview keep their counts: their raw rows may have been
    pruned (`analytics.retention`), and the counts are all that is left of them. The period
    totals are summed afresh from the day rows. One transaction: readers keep the old counts
    until the new ones are complete, and other sites are untouched, so rebuilds of different
    sites can run side by side.
    """
    started = time.perf_counter()
    days = 0
    with transaction.atomic():
        lock_site(site)
        PeriodWindow.objects.filter(site=site).delete()  # summed afresh below, after the days
        span = Pageview.objects.filter(site=site).aggregate(first=Min("timestamp"), last=Max("timestamp"))
        if span["first"] is not None:
            tz = site.tzinfo
            first, last = span["first"].astimezone(tz).date(), span["last"].astimezone(tz).date()
            hours_from = now.astimezone(tz).date() - HOURLY_KEPT
            DailyRollup.objects.filter(site=site, day__gte=first).delete()
            Breakdown.objects.filter(site=site, start__gte=first).delete()
            Session.objects.filter(site=site, started_at__gte=local_midnight(first, tz)).delete()
            HourlyRollup.objects.filter(site=site, day__gte=min(first, hours_from)).delete()
            HourlyBreakdown.objects.filter(site=site, day__gte=min(first, hours_from)).delete()
            for day in dates_between(first, last):
                recounted = recount_day(site=site, day=day)
                store_sessions_and_marks(site=site, recounted=recounted)
                counts = recounted.counts if day >= hours_from else without_hours(recounted.counts)
                store_change(site=site, change=counts, fresh=True)
                days += 1
        build_period_totals(site=site, now=now)
    return RollupResult(days=days, seconds=time.perf_counter() - started)


@transaction.atomic
def recount_stored_day(*, site: Site, day: dt.date) -> None:
    """Count one site-local day again from its raw pageviews and store the difference from what was stored.

    The day's rows, the period totals counting it and its hourly rows get the same change in
    one transaction; its sessions and marks are written anew. For raw rows deleted or changed
    by hand (spam removed, a repair).
    """
    lock_site(site)
    recounted = recount_day(site=site, day=day)
    change = Counts()
    change.add(recounted.counts)
    change.add(stored_day_counts(site=site, day=day), sign=-1)
    window = days_window(day, day, tz=site.tzinfo)
    Session.objects.filter(site=site, started_at__gte=window.start, started_at__lt=window.end).delete()
    store_sessions_and_marks(site=site, recounted=recounted)
    store_change(site=site, change=change.without_zeros())


def store_sessions_and_marks(*, site: Site, recounted: RecountedDay) -> None:
    """The recounted day's sessions (the caller deleted the stored ones) and the marks that moved."""
    insert_all(
        Session,
        fields=SESSION_FIELDS,
        rows=[(site.pk, visitor_id, *session_values(session)) for visitor_id, session in recounted.sessions],
    )
    write_moved_marks([(pk, *marks) for pk, marks in recounted.marks.items() if marks != recounted.stored_marks[pk]])


def without_hours(counts: Counts) -> Counts:
    """A day older than the hourly rows kept: only its day counts are stored."""
    kept = Counts()
    kept.days.update(counts.days)
    kept.values.update(counts.values)
    return kept


def rebuild_rollups(*, now: dt.datetime, sites: Iterable[Site] | None = None, jobs: int = 1) -> RollupResult:
    """Rebuild every site (or `sites`), one transaction per site, in `jobs` processes side by side.

    A site that fails is logged and skipped: its old counts stay, and the others go on.
    """
    started = time.perf_counter()
    site_ids = [site.pk for site in (Site.objects.all() if sites is None else sites)]
    if jobs > 1 and len(site_ids) > 1:
        connections.close_all()  # each process opens its own connection
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(functools.partial(rebuild_site_id, now=now), site_ids))
    else:
        results = [rebuild_site_id(site_id, now=now) for site_id in site_ids]
    if sites is None:
        hourly_rollups_recounted(now=now)
    with connection.cursor() as cursor:
        for model in DERIVED_MODELS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return RollupResult(days=sum(result.days for result in results), seconds=time.perf_counter() - started)


def rebuild_site_id(site_id: int, *, now: dt.datetime) -> RollupResult:
    try:
        return rebuild_site_rollups(site=Site.objects.get(pk=site_id), now=now)
    except DatabaseError:
        logger.exception("Rebuilding the counts of site %s failed; its old counts stay", site_id)
        return RollupResult(days=0, seconds=0.0)
    finally:
        if multiprocessing.parent_process() is not None:
            connections.close_all()
