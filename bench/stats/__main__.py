"""Time the stats behind one API response, from rollups and from raw rows, on the generated bench site.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/glimpse_bench .venv/bin/python -m bench.stats
    DATABASE_URL=sqlite:///var/bench/glimpse-bench.sqlite3 .venv/bin/python -m bench.stats

Run `python -m bench.generate` first. Every figure is wall time in this process for
the whole response as `sharing.stats_cache` computes it on a cache miss (`site_stats`
then the JSON bytes), warm (one untimed run first), median of several runs; "now" is
just after the site's last pageview. Raw 90d/365d take tens of seconds on PostgreSQL,
so raw periods are run fewer times and stop repeating once a budget is spent.
"""

import argparse
import datetime as dt
import os
import re
import statistics
import time
from collections.abc import Callable

import django


def timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def median_ms(function: Callable[[], object], *, runs: int, budget_ms: float = float("inf")) -> tuple[float, int]:
    """Median of up to `runs` timed runs after one untimed warm-up; a warm-up over budget is the figure (0 runs)."""
    warm_up, _ = timed(function)
    if warm_up > budget_ms:
        return warm_up, 0
    samples = []
    for _ in range(runs):
        elapsed, _ = timed(function)
        samples.append(elapsed)
        if sum(samples) > budget_ms:
            break
    return statistics.median(samples), len(samples)


def batch_write_ms(*, site, day: dt.date, size: int, runs: int) -> float:
    """Median time to write a batch of `size` pageviews of new visitors on `day`, every count included.

    This is what the ingest worker does per batch: sessions, raw rows and the change to the
    day, hour and period-total rows, in one transaction. Each run is rolled back, so the
    data set is left as it was.
    """
    from django.db import transaction

    from analytics.models import Session
    from analytics.services import NewPageview, record_pageviews

    noon = dt.datetime.combine(day, dt.time(12), tzinfo=site.tzinfo)
    first_unused = (
        Session.objects.filter(site=site).order_by("-visitor_id").values_list("visitor_id", flat=True).first() or 0
    ) + 1
    samples = []
    for run in range(runs):
        batch = [
            NewPageview(
                timestamp=noon + dt.timedelta(seconds=index),
                visitor_id=first_unused + run * size + index,
                path=f"/late-arrival/{index % 50}",
                source="late.example",
                browser="Late Browser",
                country="AQ",
            )
            for index in range(size)
        ]
        with transaction.atomic():
            elapsed, _ = timed(lambda batch=batch: record_pageviews(site=site, pageviews=batch))
            transaction.set_rollback(True)
        samples.append(elapsed)
    return statistics.median(samples)


def plans(function: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """(SQL, plan lines) of every query `function` runs: EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        function()
    explained = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(("EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + sql)
            explained.append((sql, [str(row[0] if connection.vendor == "postgresql" else row[-1]) for row in cursor]))
    return explained


def raw_table_scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole raw table or index (PostgreSQL Seq Scan, SQLite SCAN; SEARCH is a range)."""
    return [line.strip() for line in lines if re.search(r"(Seq Scan on|^\s*SCAN) analytics_(pageview|session)\b", line)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="bench.example")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per rollup figure (default 7)")
    parser.add_argument("--raw-runs", type=int, default=3, help="timed runs per raw figure at most (default 3)")
    parser.add_argument("--raw-budget", type=float, default=60, help="seconds of raw runs per period (default 60)")
    parser.add_argument("--skip-raw", action="store_true", help="time the rollups only")
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the rollups instead of rebuilding them")
    parser.add_argument("--explain", action="store_true", help="print the plan of every query behind each period")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from bench.generate import refuse_shared_databases

    refuse_shared_databases()

    from django.db import connection
    from django.db.models import Max

    from analytics.counting.rebuild import rebuild_rollups
    from analytics.models import Breakdown, Pageview, Site
    from analytics.periods import Period
    from analytics.reference_stats import reference_site_stats
    from analytics.selectors import site_stats
    from sharing.payloads import render_json, stats_fields

    site = Site.objects.get(domain=options.domain)
    last = Pageview.objects.filter(site=site).aggregate(last=Max("timestamp"))["last"]
    now = last + dt.timedelta(seconds=1)
    today = now.astimezone(site.tzinfo).date()
    pageviews = Pageview.objects.filter(site=site).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"{connection.vendor} {version}: {site.domain}, {pageviews:,} pageviews, now = {now.astimezone(site.tzinfo)}")

    print("\nRoll-up cost")
    if not options.skip_rebuild:
        elapsed, result = timed(lambda: rebuild_rollups(now=now))
        print(f"  full rebuild: {elapsed / 1000:.1f} s ({result.days} site-days)")
    yesterday = today - dt.timedelta(days=1)
    for name, day in [("today", today), ("yesterday", yesterday), ("an old day", today - dt.timedelta(days=200))]:
        for size in (1, 1000):
            batch_ms = batch_write_ms(site=site, day=day, size=size, runs=5)
            rows = Breakdown.objects.filter(site=site, start=day).count()
            print(
                f"  a batch of {size:,} pageview(s) on {name} ({day}, {rows:,} day rows), "
                f"written with its change to every count: {batch_ms:.0f} ms, median of 5"
            )

    def response(selector: Callable, period: str) -> Callable[[], bytes]:
        return lambda: render_json(stats_fields(selector(site=site, period=period, now=now)))

    print("\nWhole response, warm, uncached (ms; median)")
    print(f"  {'period':<7}{'rollups':>10}{'raw':>12}{'raw / rollups':>16}  {'same body':>9}  raw runs")
    for period in Period:
        served_ms, _ = median_ms(response(site_stats, period), runs=options.runs)
        if options.skip_raw:
            print(f"  {period:<7}{served_ms:>10.1f}")
            continue
        raw_ms, raw_runs = median_ms(
            response(reference_site_stats, period), runs=options.raw_runs, budget_ms=options.raw_budget * 1000
        )
        same = response(site_stats, period)() == response(reference_site_stats, period)()
        ratio = "(raw)" if period == "24h" else f"{raw_ms / served_ms:,.0f}x"
        runs_note = raw_runs or "first run only"
        print(f"  {period:<7}{served_ms:>10.1f}{raw_ms:>12,.0f}{ratio:>16}  {'yes' if same else 'NO':>9}  {runs_note}")

    print("\nQuery plans (no whole-table read of analytics_pageview or analytics_session allowed)")
    for period in Period:
        explained = plans(response(site_stats, period))
        scans = [line for _, lines in explained for line in raw_table_scans(lines)]
        verdict = "raw-table scans: " + "; ".join(scans) if scans else "no raw-table scan"
        print(f"  {period:<7}{len(explained)} queries, {verdict}")
        if options.explain:
            for sql, lines in explained:
                print(f"\n    {sql}\n      " + "\n      ".join(lines))


if __name__ == "__main__":
    main()
