"""Uncached reads at scale: `site_stats` per period for a big site, a long tail of paths and a small site among
many, with each target beside its figure; what the rollups cost in rows and bytes; the retention's delete plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7_bench_reads .venv/bin/python -m bench.reads
    DATABASE_URL=sqlite:////tmp/reads.sqlite3 .venv/bin/python -m bench.reads --sites big.bench

Build the sites with `bench.generate` first (docs/performance.md has the commands):
`big.bench` (270k pageviews a day on PostgreSQL, 27k on SQLite, ending at 18:00 local),
`noon.bench` (270k a day over 3 days ending at 12:30 local, where `24h` sums the most
hourly rows), `paths.bench` (262,144 distinct paths) and `many.bench` (10,000 sites,
most small or idle). A shape that is
not there is skipped. Every figure is wall time in this process for the whole response
as a cache miss computes it (`site_stats`, then the JSON bytes), warm (one untimed run
first), median of `--runs`; "now" is one second after the site's last pageview. Each day
period says where its lists came from: the period totals, or the day rows (no totals summed as
of that "now": `--build-totals` sums them first, timed, as the worker's first visit
would); each day period is timed again a minute after the next local midnight, before the
worker moves the totals on (the day that left a period is subtracted at read time). With
`--explain`, the slowest queries of each site's slowest period are run again under
EXPLAIN ANALYZE (PostgreSQL) and their plans printed.
"""

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable

import django

# Uncached targets, in milliseconds, per shape and database.
TARGETS = {
    ("big.bench", "postgresql"): 100,
    ("noon.bench", "postgresql"): 100,
    ("paths.bench", "postgresql"): 100,
    ("many.bench", "postgresql"): 50,
    ("big.bench", "sqlite"): 250,
}


def verdict(elapsed_ms: float, target_ms: int | None) -> str:
    return "" if target_ms is None else ("met" if elapsed_ms < target_ms else "MISSED")


def median_ms(function: Callable[[], object], *, runs: int) -> float:
    function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def chosen_site(domain: str):
    """The site itself, or for a group of many sites the median-sized active small one."""
    from django.db.models import Count

    from analytics.models import Site

    site = Site.objects.filter(domain=domain).first()
    if site is None or not domain.startswith("many."):
        return site
    small = list(
        Site.objects.filter(domain__endswith=f".{domain}")
        .annotate(rows=Count("pageviews"))
        .filter(rows__gt=0)
        .order_by("rows", "pk")
        .values_list("pk", flat=True)
    )
    return Site.objects.get(pk=small[len(small) // 2]) if small else None


def storage(site) -> list[tuple[str, int, int | None]]:
    """(table, rows, bytes of row data or None on SQLite) of the site's raw rows and rollups."""
    from django.db import connection

    from analytics.models import (
        Breakdown,
        DailyRollup,
        HourlyBreakdown,
        HourlyRollup,
        Pageview,
        PeriodTotal,
        PeriodWindow,
        Session,
    )

    figures = []
    with connection.cursor() as cursor:
        models = (Pageview, Session, DailyRollup, Breakdown, PeriodTotal, PeriodWindow)
        for model in (*models, HourlyRollup, HourlyBreakdown):
            table = connection.ops.quote_name(model._meta.db_table)
            size = "sum(pg_column_size(t.*))" if connection.vendor == "postgresql" else "NULL"
            cursor.execute(f"SELECT count(*), {size} FROM {table} AS t WHERE site_id = %s", [site.pk])
            rows, size_bytes = cursor.fetchone()
            figures.append((model._meta.db_table.removeprefix("analytics_"), rows, size_bytes))
    return figures


def print_storage(site) -> None:
    from analytics.models import Breakdown, Dimension

    figures = storage(site)
    print("  storage (row data; indexes not counted):")
    for table, rows, size in figures:
        print(f"    {table:<14}{rows:>12,} rows" + (f"{size / 1e6:>10.1f} MB" if size is not None else ""))
    raw = sum(size or 0 for table, _, size in figures if table == "pageview")
    rolled = sum(size or 0 for table, _, size in figures if table in ("session", "dailyrollup", "breakdown"))
    totals = sum(size or 0 for table, _, size in figures if table in ("periodtotal", "periodwindow"))
    hourly = sum(size or 0 for table, _, size in figures if table in ("hourlyrollup", "hourlybreakdown"))
    if raw:
        print(
            f"    sessions and day rows / raw = {rolled / raw:.2f}, period totals / raw = {totals / raw:.2f}, "
            f"hourly rows / raw = {hourly / raw:.2f}; every derived row / raw pageviews = "
            f"{(rolled + totals + hourly) / raw:.2f} (target <= 1.5)"
        )
    days = Breakdown.objects.filter(site=site).values("start").distinct().count() or 1
    for dimension in (Dimension.PATH, Dimension.SOURCE):
        day_rows = Breakdown.objects.filter(site=site, dimension=dimension).count()
        print(f"    {dimension.label.lower()}: {day_rows / days:,.0f} day rows per day over {days} days")


def build_totals(site, *, now: dt.datetime) -> None:
    from django.db import transaction

    from analytics.counting.counters import lock_site
    from analytics.counting.periods import build_period_totals

    started = time.perf_counter()
    with transaction.atomic():
        lock_site(site)
        build_period_totals(site=site, now=now)
    print(f"  period totals summed as of now in {time.perf_counter() - started:.1f} s")


def just_after_midnight(site, *, now: dt.datetime, target: int | None, runs: int, response) -> dict[str, float]:
    """Each day period a minute after the site's next local midnight, before the worker moves its totals on:
    the day that just left each period is subtracted at read time. Nothing for a site without totals."""
    from analytics.models import PeriodWindow
    from analytics.periods import Period

    if not PeriodWindow.objects.filter(site=site).exists():
        return {}
    local_day = now.astimezone(site.tzinfo).date()
    moment = dt.datetime.combine(local_day + dt.timedelta(days=1), dt.time(0, 1), site.tzinfo)
    print(f"  at {moment:%Y-%m-%d %H:%M %Z}, before the worker moves the period totals on:")
    timings = {}
    for period in Period:
        if period.days is None:
            continue
        elapsed = timings[period.value] = median_ms(response(period, now=moment), runs=runs)
        source = lists_source(response(period, now=moment))
        print(f"  {period:<6}{elapsed:>9.1f} ms  {verdict(elapsed, target):<7}lists from {source}")
    return timings


def lists_source(function: Callable[[], object]) -> str:
    from unittest import mock

    from analytics.counting import read_days

    with mock.patch.object(read_days, "day_rows_of_period", wraps=read_days.day_rows_of_period) as summed:
        function()
    return "day rows" if summed.called else "totals"


def write_costs(site, *, now: dt.datetime, runs: int) -> None:
    """What the period totals add to writing: a batch of 1,000 pageviews on today's paths recorded with and
    without the site's totals (alternately), and every period moved one day on; and what one pageview costs,
    now and a day late (its change reaches yesterday's rows and the totals); each in a rolled-back
    transaction, median of `runs`."""
    import random

    from django.db import transaction

    from analytics.counting.periods import slide_site_periods
    from analytics.models import Breakdown, Dimension, PeriodWindow
    from analytics.services import NewPageview, record_pageviews

    today = now.astimezone(site.tzinfo).date()
    paths = list(
        Breakdown.objects.filter(site=site, start=today, dimension=Dimension.PATH).values_list("value", flat=True)
    )
    if not paths or not PeriodWindow.objects.filter(site=site).exists():
        return
    chosen = random.Random(1)
    samples: dict[str, list[float]] = {"with totals": [], "without": [], "move": []}
    for run in range(runs):
        for label in ("with totals", "without"):
            batch = [
                NewPageview(
                    timestamp=now - dt.timedelta(seconds=chosen.randint(1, 3600)),
                    visitor_id=-(run * 10_000 + number + 1),
                    path=chosen.choice(paths),
                )
                for number in range(1000)
            ]
            with transaction.atomic():
                if label == "without":
                    PeriodWindow.objects.filter(site=site).delete()
                started = time.perf_counter()
                record_pageviews(site=site, pageviews=batch)
                samples[label].append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
        with transaction.atomic():
            started = time.perf_counter()
            moved = slide_site_periods(site=site, now=now + dt.timedelta(days=1))
            samples["move"].append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
        for label, moment in (("one now", now), ("one late", now - dt.timedelta(days=1))):
            pageview = NewPageview(timestamp=moment, visitor_id=-(run + 1), path=chosen.choice(paths))
            with transaction.atomic():
                started = time.perf_counter()
                record_pageviews(site=site, pageviews=[pageview])
                samples.setdefault(label, []).append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
    print(
        f"  batch of 1,000 pageviews: {statistics.median(samples['with totals']):.0f} ms with the period totals, "
        f"{statistics.median(samples['without']):.0f} ms without; moving {moved} period(s) a day on: "
        f"{statistics.median(samples['move']):.0f} ms; one pageview now {statistics.median(samples['one now']):.0f}"
        f" ms, one arriving a day late {statistics.median(samples['one late']):.0f} ms (median of {runs}, rolled back)"
    )


def explain_slowest(function: Callable[[], object], *, shown: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        function()
    slowest = sorted(queries.captured_queries, key=lambda query: -float(query["time"]))[:shown]
    with connection.cursor() as cursor:
        for query in slowest:
            print(f"\n    {float(query['time']) * 1000:.0f} ms: {query['sql'][:300]}")
            if connection.vendor != "postgresql" or not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("      " + "\n      ".join(str(row[0]) for row in cursor.fetchall()))


def retention_plans(site, *, now: dt.datetime) -> None:
    """The delete statements' plans on this site's table, and one day pruned inside a rolled-back transaction."""
    from django.db import connection, transaction

    from analytics.models import Pageview
    from analytics.retention import pageview_delete, prune_site, session_delete

    first = Pageview.objects.filter(site=site).order_by("timestamp").values_list("timestamp", flat=True).first()
    if first is None:
        return
    cut = dt.datetime.combine(first.astimezone(site.tzinfo).date() + dt.timedelta(days=1), dt.time.min, site.tzinfo)
    print(f"  retention: deleting the first day (before {cut:%Y-%m-%d %H:%M %Z}), rolled back afterwards")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, sql in (("pageviews", pageview_delete()), ("sessions", session_delete())):
                cursor.execute("EXPLAIN " + sql, [site.pk, cut, 5000])
                plan = [str(row[0]).strip() for row in cursor.fetchall()]
                scans = [line for line in plan if "Seq Scan" in line]
                print(f"    {name} delete plan: {' / '.join(plan[:6])}")
                print(f"    {name}: {'SEQUENTIAL SCAN: ' + '; '.join(scans) if scans else 'no sequential scan'}")
    with transaction.atomic():
        started = time.perf_counter()
        pageviews, sessions = prune_site(site=site, cut=cut)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        f"    pruned {pageviews:,} pageviews and {sessions:,} sessions in {elapsed:.2f} s "
        f"({(pageviews + sessions) / max(elapsed, 1e-9):,.0f} rows/s, batches of 5,000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sites", default="big.bench,noon.bench,paths.bench,many.bench", help="comma-separated domains"
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest queries")
    parser.add_argument("--skip-retention", action="store_true")
    parser.add_argument("--build-totals", action="store_true", help="sum each site's period totals as of its now")
    parser.add_argument("--write-costs", action="store_true", help="time a batch and a move, with and without totals")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from bench.generate import refuse_shared_databases

    refuse_shared_databases()

    from django.db import connection
    from django.db.models import Max

    from analytics.models import Pageview, Site
    from analytics.periods import Period
    from analytics.selectors import site_stats
    from sharing.payloads import render_json, stats_fields

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"{connection.vendor} {version}; {Site.objects.count():,} sites, machine: 2 shared cores (busy)")
    summary = []
    for domain in options.sites.split(","):
        site = chosen_site(domain)
        if site is None:
            print(f"\n{domain}: not generated, skipped")
            continue
        last = Pageview.objects.filter(site=site).aggregate(last=Max("timestamp"))["last"]
        now = last + dt.timedelta(seconds=1)
        pageviews = Pageview.objects.filter(site=site).count()
        first = Pageview.objects.filter(site=site).order_by("timestamp").values_list("timestamp", flat=True).first()
        days = (last - first).days + 1
        target = TARGETS.get((domain, connection.vendor))
        print(
            f"\n{site.domain}: {pageviews:,} pageviews over {days} days ({pageviews / days:,.0f} a day), "
            f"now = {now.astimezone(site.tzinfo):%Y-%m-%d %H:%M %Z}"
        )

        def response(period: str, site=site, now=now) -> Callable[[], bytes]:
            return lambda: render_json(stats_fields(site_stats(site=site, period=period, now=now)))

        if options.build_totals:
            build_totals(site, now=now)
        timings = {period.value: median_ms(response(period), runs=options.runs) for period in Period}
        for period, elapsed in timings.items():
            target_text = f"< {target} ms" if target else ""
            source = "" if period == Period.HOURS_24 else f"lists from {lists_source(response(period))}"
            print(f"  {period:<6}{elapsed:>9.1f} ms  target {target_text:<9} {verdict(elapsed, target):<7}{source}")
        summary.append((site.domain, target, timings))
        after_midnight = just_after_midnight(site, now=now, target=target, runs=options.runs, response=response)
        if after_midnight:
            summary.append((f"{site.domain} 00:01", target, after_midnight))
        print_storage(site)
        if options.write_costs:
            write_costs(site, now=now, runs=options.runs)
        if options.explain:
            slowest = max(timings, key=timings.get)
            print(f"  slowest period {slowest}: its {options.explain} slowest queries")
            explain_slowest(response(slowest), shown=options.explain)
        if not options.skip_retention and domain.startswith("big."):
            retention_plans(site, now=now)

    print(f"\nSummary (uncached, ms, median of {options.runs}; {connection.vendor})")
    print(f"  {'site':<22}{'target':>8}" + "".join(f"{period.value:>8}" for period in Period))
    for domain, target, timings in summary:
        figures = (f"{timings[period.value]:>8.1f}" if period.value in timings else f"{'-':>8}" for period in Period)
        print(f"  {domain:<22}{target or '':>8}" + "".join(figures))


if __name__ == "__main__":
    main()
