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


def late_pageview_roll_ups(*, site, day: dt.date, runs: int) -> tuple[float, int]:
    """Median time to roll `day` up again after one late pageview (a new visitor) arrived on it, committed each time.

    Each late pageview is a visitor id the site has never seen; they and their sessions are deleted by primary key
    and the day is rolled up once more afterwards, so the data set is left as it was.
    """
    from analytics.blocks import blocks_containing
    from analytics.models import Pageview, Session, SummedBlock
    from analytics.rollups import roll_up_day
    from analytics.services import record_pageview

    noon = dt.datetime.combine(day, dt.time(12), tzinfo=site.tzinfo)
    sessions = Session.objects.filter(site=site)
    unused = (visitor for visitor in range(1, 10**6) if not sessions.filter(visitor_id=visitor).exists())
    late: list[Pageview] = []
    samples = []
    try:
        for run in range(runs):
            late.append(
                record_pageview(
                    site=site,
                    timestamp=noon + dt.timedelta(minutes=run),
                    visitor_id=next(unused),
                    path="/late-arrival",
                    source="late.example",
                    browser="Late Browser",
                    country="AQ",
                )
            )
            elapsed, _ = timed(lambda: roll_up_day(site=site, day=day))
            samples.append(elapsed)
    finally:
        Pageview.objects.filter(pk__in=[pageview.pk for pageview in late]).delete()
        Session.objects.filter(pk__in=[pageview.session_id for pageview in late]).delete()
        roll_up_day(site=site, day=day)
    summed = set(SummedBlock.objects.filter(site=site).values_list("level", "start"))
    return statistics.median(samples), len(summed & set(blocks_containing(day)))


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

    from django.db import connection, transaction
    from django.db.models import Max

    from analytics.blocks import MAX_LEVEL, block_start
    from analytics.models import Breakdown, Pageview, Site
    from analytics.periods import Period
    from analytics.reference_stats import reference_site_stats
    from analytics.rollups import rebuild_rollups, roll_up, roll_up_day, sum_block
    from analytics.selectors import site_stats
    from analytics.services import record_pageview
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
        print(f"  full rebuild: {elapsed / 1000:.1f} s ({result.days} site-days, {result.blocks} blocks)")
    else:
        roll_up(now=now)
    yesterday = today - dt.timedelta(days=1)
    daily = {row.date: row.pageviews for row in site_stats(site=site, period="7d", now=now).daily}
    rows = Breakdown.objects.filter(site=site, level=0, start=today).count()
    day_ms, runs = median_ms(lambda: roll_up_day(site=site, day=today), runs=5)
    print(
        f"  today ({today}, {daily[today]:,} pageviews so far → {rows:,} rows), what each worker pass does: "
        f"{day_ms:.0f} ms, median of {runs}"
    )
    biggest = (MAX_LEVEL, block_start(today - dt.timedelta(days=1 << MAX_LEVEL), MAX_LEVEL))
    for name, day in [("yesterday", yesterday), ("an old day", biggest[1])]:
        late_ms, blocks = late_pageview_roll_ups(site=site, day=day, runs=5)
        rows = Breakdown.objects.filter(site=site, level=0, start=day).count()
        print(
            f"  {name} ({day}, {rows:,} rows) after a late pageview, its change added to the {blocks} summed "
            f"blocks holding it: {late_ms:.0f} ms, median of 5"
        )
    block_ms, runs = median_ms(lambda: sum_block(site=site, block=biggest), runs=3)
    block_rows = Breakdown.objects.filter(site=site, level=biggest[0], start=biggest[1]).count()
    print(
        f"  one {1 << MAX_LEVEL}-day block (from {biggest[1]}, summed from its halves → {block_rows:,} rows): "
        f"{block_ms:.0f} ms, median of {runs}"
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

    print("\nWith today not rolled up yet (a pageview newer than the last pass, as between worker passes)")
    with transaction.atomic():
        record_pageview(site=site, timestamp=last, visitor_id=1, path="/")
        for period in list(Period)[1:]:
            served_ms, _ = median_ms(response(site_stats, period), runs=options.runs)
            print(f"  {period:<7}{served_ms:>10.1f}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
