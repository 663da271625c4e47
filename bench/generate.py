"""Generate reproducible sites for the benchmarks: one big site (about 10M pageviews over 365 days by default),
optionally many small and idle ones beside it, and a long tail of distinct paths.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7_bench_reads .venv/bin/python -m bench.generate --seed 1
    DATABASE_URL=sqlite:///var/bench/glimpse-bench.sqlite3 .venv/bin/python -m bench.generate --seed 1
    … -m bench.generate --domain many.bench --sites 10000 --pageviews 20000 --days 30   # 10,000 sites
    … -m bench.generate --domain paths.bench --pageviews 2000000 --distinct-paths 262144   # a long tail

The same seed gives the same rows on both databases (one Python generator feeds
PostgreSQL's COPY and SQLite's executemany). The data respects what ingestion
guarantees: a visitor id lives within one site-local day, and a session is a run of
pageviews less than 30 minutes apart, so it never crosses local midnight. Shape, as
in the performance anchors: ~1.3 sessions and ~3.5 pageviews per visitor-day, half the
sessions bounce, Zipf-skewed paths (5,000) and sources (300, plus 40% direct), 60
countries plus unknown, 9 browsers, 3 device types.

With `--sites N`, the first site (`--domain`) gets `--pageviews`; of the N - 1 others
(`s00001.<domain>` …), `--active-share` get a few hundred pageviews each over the last
`--small-days` days and the rest none at all (idle). With `--distinct-paths K`, half the
pageviews of the big site take the next of K long-tail paths in turn, so all K appear.
The bulk load goes around `record_pageviews`, so each site's rollups are rebuilt from its
raw rows afterwards (`rebuild_site_rollups`, one transaction per site), timed.

`--replace` deletes what an earlier run made under the same `--domain` (that site and its
`*.<domain>` siblings, owned by the bench user) and nothing else.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate

import django

DEFAULT_END = "2026-11-27T18:00"
SECTIONS = ("blog", "docs", "guides", "changelog", "integrations", "compare", "customers", "help")
TOP_SOURCES = ("google.com", "bing.com", "duckduckgo.com", "news.ycombinator.com", "reddit.com", "github.com", "x.com")
# fmt: off
COUNTRIES = [
    "US", "GB", "DE", "IN", "FR", "CA", "NL", "BR", "JP", "AU", "SE", "ES", "PL", "IT", "CH", "NZ", "KR", "MX", "ZA",
    "SG", "AT", "BE", "DK", "FI", "NO", "IE", "PT", "CZ", "RO", "HU", "GR", "TR", "IL", "AE", "SA", "EG", "NG", "KE",
    "AR", "CL", "CO", "PE", "VE", "UA", "RU", "CN", "HK", "TW", "TH", "VN", "ID", "MY", "PH", "PK", "BD", "LK", "IS",
    "EE", "LV", "LT",
]
# fmt: on
BROWSERS = {
    "desktop": (("Chrome", 60), ("Firefox", 12), ("Safari", 13), ("Edge", 12), ("Opera", 3)),
    "mobile": (("Chrome Mobile", 50), ("Mobile Safari", 42), ("Samsung Internet", 6), ("Firefox Mobile", 2)),
    "tablet": (("Mobile Safari", 65), ("Chrome Mobile", 30), ("Samsung Internet", 5)),
}
DEVICES = (("desktop", 55), ("mobile", 40), ("tablet", 5))
WEEKDAY_FACTOR = (1.0, 1.04, 1.06, 1.02, 0.93, 0.66, 0.62)
MAX_GAP = 1799  # seconds: under the 30-minute session timeout


def zipf(count: int, exponent: float) -> list[float]:
    return list(accumulate(1 / rank**exponent for rank in range(1, count + 1)))


@dataclass
class Vocabulary:
    paths: list[str]
    path_weights: list[float]
    sources: list[str]
    source_weights: list[float]
    countries: list[str]
    country_weights: list[float]
    long_tail: int = 0  # paths taken in turn by half the pageviews, so every one of them appears
    next_tail: int = 0

    @classmethod
    def build(cls, *, paths: int, long_tail: int = 0) -> "Vocabulary":
        names = ["/"] + [f"/{SECTIONS[rank % len(SECTIONS)]}/page-{rank}" for rank in range(1, paths)]
        sources = list(TOP_SOURCES) + [f"ref{rank}.example" for rank in range(len(TOP_SOURCES), 300)]
        return cls(
            paths=names,
            path_weights=zipf(paths, 1.0),
            sources=sources,
            source_weights=zipf(len(sources), 1.1),
            countries=[*COUNTRIES, ""],
            country_weights=list(accumulate([1 / rank**1.2 for rank in range(1, len(COUNTRIES) + 1)] + [0.08])),
            long_tail=long_tail,
        )

    def choose_paths(self, rng: random.Random, count: int) -> list[str]:
        chosen = rng.choices(self.paths, cum_weights=self.path_weights, k=count)
        if self.long_tail:
            for index in range(count):
                if rng.random() < 0.5:
                    chosen[index] = f"/archive/{self.next_tail % self.long_tail:06d}/entry"
                    self.next_tail += 1
        return chosen


@dataclass
class DayRows:
    """Rows in column order, timestamps as Unix seconds (formatted per database when written)."""

    sessions: list[tuple] = field(default_factory=list)
    pageviews: list[tuple] = field(default_factory=list)


@dataclass
class Ids:
    session: int
    pageview: int


def choose(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def session_length(rng: random.Random) -> int:
    """Pageviews in one session: half bounce, the rest average about 4.4."""
    if rng.random() < 0.5:
        return 1
    length = 2
    while rng.random() < 0.7 and length < 40:
        length += 1
    return length


def generate_day(
    *,
    rng: random.Random,
    vocabulary: Vocabulary,
    site_id: int,
    day_start: int,
    day_length: int,
    stop: int,
    budget: int,
    ids: Ids,
) -> DayRows:
    """One local day's traffic: visitors until `budget` pageviews, nothing at or after `stop` (Unix seconds).

    Ids follow time, as they do when ingestion writes each pageview as it happens:
    sessions are numbered by start and pageviews by timestamp.
    """
    sessions: list[tuple] = []
    pageviews: list[tuple[int, int, int, str]] = []  # (timestamp, session index, visitor id, path)
    limit = min(day_length, stop - day_start)
    while len(pageviews) < budget and limit > 0:
        visitor_id = rng.getrandbits(64) - (1 << 63)
        device = choose(rng, DEVICES)
        browser = choose(rng, BROWSERS[device])
        country = rng.choices(vocabulary.countries, cum_weights=vocabulary.country_weights)[0]
        start = int(rng.gauss(14 * 3600, 4.5 * 3600)) % day_length
        for _ in range(2 if rng.random() < 0.3 else 1):
            if start >= limit:
                break
            offsets = [start]
            for _ in range(session_length(rng) - 1):
                following = offsets[-1] + 5 + int(rng.random() * 900)
                if following >= limit:
                    break
                offsets.append(following)
            paths = vocabulary.choose_paths(rng, len(offsets))
            source = (
                "direct"
                if rng.random() < 0.4
                else rng.choices(vocabulary.sources, cum_weights=vocabulary.source_weights)[0]
            )
            first, last = day_start + offsets[0], day_start + offsets[-1]
            index = len(sessions)
            attributes = (source, device, browser, country)
            sessions.append((first, index, visitor_id, last, len(offsets), paths[0], paths[-1], *attributes))
            pageviews.extend(
                (day_start + offset, index, visitor_id, path, source if position == 0 else "direct", *attributes[1:])
                for position, (offset, path) in enumerate(zip(offsets, paths, strict=True))
            )
            start = offsets[-1] + MAX_GAP + 1 + int(rng.random() * 4 * 3600)

    # The marks ingestion keeps (analytics.counting.hours): a visitor's latest pageview, its latest on each path,
    # and its latest-ending session (a visitor has one device, browser and country here).
    pageviews.sort()
    sessions.sort()
    latest_of_visitor = {row[2]: position for position, row in enumerate(pageviews)}
    latest_of_path = {(row[2], row[3]): position for position, row in enumerate(pageviews)}
    latest_session = {row[2]: position for position, row in enumerate(sessions)}
    rows = DayRows()
    for position, (first, _, visitor_id, last, views, entry, exit_, *attributes) in enumerate(sessions):
        latest = latest_session[visitor_id] == position
        row = (ids.session, site_id, visitor_id, first, last, last - first, views, entry, exit_, *attributes)
        rows.sessions.append((*row, latest, latest, latest))
        ids.session += 1
    for position, (timestamp, _, visitor_id, path, *attributes) in enumerate(pageviews):
        marks = (latest_of_visitor[visitor_id] == position, latest_of_path[(visitor_id, path)] == position)
        rows.pageviews.append((ids.pageview, site_id, visitor_id, timestamp, path, *attributes, *marks))
        ids.pageview += 1
    return rows


def daily_budgets(*, rng: random.Random, days: list[dt.date], pageviews: int) -> list[int]:
    """Pageviews per day: weekly rhythm, slow growth over the year, a little noise; they sum to `pageviews`."""
    weights = [
        WEEKDAY_FACTOR[day.weekday()] * (0.85 + 0.3 * index / len(days)) * rng.uniform(0.93, 1.07)
        for index, day in enumerate(days)
    ]
    total = sum(weights)
    return [round(pageviews * weight / total) for weight in weights]


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> int:
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=tz).timestamp())


def generate(
    *,
    seed: int | str,
    pageviews: int,
    days: int,
    paths: int,
    end: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    site_id: int,
    ids: Ids,
    long_tail: int = 0,
) -> Iterator[DayRows]:
    rng = random.Random(f"glimpse-bench:{seed}")
    vocabulary = Vocabulary.build(paths=paths, long_tail=long_tail)
    last_day = end.date()
    dates = [last_day - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    budgets = daily_budgets(rng=rng, days=dates, pageviews=pageviews)
    stop = int(end.timestamp())
    for day, budget in zip(dates, budgets, strict=True):
        start = local_midnight(day, tz)
        length = local_midnight(day + dt.timedelta(days=1), tz) - start
        if stop - start < length:
            budget = round(budget * max(0, stop - start) / length)
        yield generate_day(
            rng=rng,
            vocabulary=vocabulary,
            site_id=site_id,
            day_start=start,
            day_length=length,
            stop=stop,
            budget=budget,
            ids=ids,
        )


class TimestampText:
    """Unix seconds as the text each database stores, without building a datetime per row."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.dates: dict[int, str] = {}

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86400)
        date = self.dates.get(day)
        if date is None:
            date = self.dates[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{date} {hours:02d}:{minutes:02d}:{secs:02d}{self.suffix}"


SESSION_COLUMNS = (
    "id, site_id, visitor_id, started_at, ended_at, duration, pageviews, entry_path, exit_path, "
    "source, device_type, browser, country, last_of_device_type, last_of_browser, last_of_country"
)
PAGEVIEW_COLUMNS = (
    "id, site_id, visitor_id, timestamp, path, source, device_type, browser, country, last_of_visitor, last_of_path"
)
LOADED_TABLES = ("analytics_session", "analytics_pageview")


def with_text_times(rows: DayRows, text: TimestampText) -> tuple[list[tuple], list[tuple]]:
    sessions = [(*row[:3], text(row[3]), text(row[4]), *row[5:]) for row in rows.sessions]
    pageviews = [(*row[:3], text(row[3]), *row[4:]) for row in rows.pageviews]
    return sessions, pageviews


def write_postgresql(batches: Iterator[DayRows]) -> None:
    from django.db import connection

    text = TimestampText("+00")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for rows in batches:
            sessions, pageviews = with_text_times(rows, text)
            with raw.copy(f"COPY analytics_session ({SESSION_COLUMNS}) FROM STDIN") as copy:
                for row in sessions:
                    copy.write_row(row)
            with raw.copy(f"COPY analytics_pageview ({PAGEVIEW_COLUMNS}) FROM STDIN") as copy:
                for row in pageviews:
                    copy.write_row(row)


def write_sqlite(batches: Iterator[DayRows]) -> None:
    from django.db import connection

    text = TimestampText("")
    with connection.cursor() as cursor:
        for rows in batches:
            sessions, pageviews = with_text_times(rows, text)
            cursor.executemany(
                f"INSERT INTO analytics_session ({SESSION_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})", sessions
            )
            cursor.executemany(
                f"INSERT INTO analytics_pageview ({PAGEVIEW_COLUMNS}) VALUES ({', '.join(['%s'] * 8)})", pageviews
            )


@contextmanager
def indexes_built_afterwards() -> Iterator[None]:
    """Drop the loaded tables' non-unique indexes (and, on PostgreSQL, foreign keys) and add them back at the end.

    Maintaining (site, visitor id, ended_at) row by row means random writes all over a
    large index, and Django's deferred foreign keys queue one check per row; building
    each index once and validating each key with one join is several times faster.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
                [list(LOADED_TABLES)],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(%s) AND NOT x.indisunique",
                [list(LOADED_TABLES)],
            )
        else:
            foreign_keys = []
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (%s, %s) "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                list(LOADED_TABLES),
            )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
    print(f"Built {len(indexes)} indexes and {len(foreign_keys)} foreign keys in {time.perf_counter() - started:.0f} s")


@dataclass(frozen=True)
class SitePlan:
    domain: str
    pageviews: int
    days: int
    seed: str
    long_tail: int = 0


def plan_sites(*, options: argparse.Namespace) -> list[SitePlan]:
    """The big site first, then `--sites - 1` small or idle ones, drawn from the seed."""
    rng = random.Random(f"glimpse-bench-sites:{options.seed}")
    plans = [SitePlan(options.domain, options.pageviews, options.days, str(options.seed), options.distinct_paths)]
    small_days = min(options.small_days, options.days)
    for number in range(1, options.sites):
        active = rng.random() < options.active_share
        pageviews = int(options.small_pageviews * rng.uniform(0.2, 3.0)) if active else 0
        plans.append(SitePlan(f"s{number:05d}.{options.domain}", pageviews, small_days, f"{options.seed}:{number}"))
    return plans


def bench_sites(*, domain: str, owner) -> list[int]:
    """What an earlier run made under `domain`: that site and its `*.domain` siblings, owned by the bench user."""
    from django.db.models import Q

    from analytics.models import Site

    chosen = Site.objects.filter(Q(domain=domain) | Q(domain__endswith=f".{domain}"), owner=owner)
    return list(chosen.values_list("pk", flat=True))


def delete_sites(site_ids: list[int]) -> None:
    """Delete sites and their rows table by table, 500 sites at a time: the ORM would load every row to cascade."""
    from django.db import connection, transaction

    from analytics.counting.rebuild import DERIVED_MODELS
    from analytics.models import Pageview, Site

    for first in range(0, len(site_ids), 500):
        chunk = site_ids[first : first + 500]
        with transaction.atomic(), connection.cursor() as cursor:
            for model in (Pageview, *DERIVED_MODELS):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE site_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            Site.objects.filter(pk__in=chunk).delete()


def refuse_shared_databases() -> None:
    """The benches write gigabytes: never into the development database or the one the tests use."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = str(database["NAME"])
    if "DATABASE_URL" not in os.environ or name.endswith("glimpse.sqlite3") or name in {"postgres", "template1"}:
        sys.exit(
            "Set DATABASE_URL to a database of its own, e.g. postgres://postgres@127.0.0.1:5432/glimpse_bench "
            "or sqlite:///var/bench/glimpse-bench.sqlite3"
        )


def rebuild_one(site_id: int, now: dt.datetime) -> tuple[float, int]:
    from analytics.counting.rebuild import rebuild_site_rollups
    from analytics.models import Site

    result = rebuild_site_rollups(site=Site.objects.get(pk=site_id), now=now)
    return result.seconds, result.days


def rebuild_each_site(*, site_ids: list[int], now: dt.datetime, jobs: int) -> None:
    """Count each loaded site's rollups from its raw rows, one transaction per site, `jobs` sites side by side."""
    import multiprocessing
    import statistics
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    if not site_ids:
        return
    started = time.perf_counter()
    if jobs > 1:
        connections.close_all()  # each forked process opens its own
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(rebuild_one, site_ids, [now] * len(site_ids), chunksize=16))
    else:
        results = [rebuild_one(site_id, now) for site_id in site_ids]
    seconds = [result[0] for result in results]
    print(
        f"Rebuilt the rollups of {len(seconds):,} site(s) ({sum(days for _, days in results):,} site-days, "
        f"{jobs} at a time) in {time.perf_counter() - started:.0f} s: first site {seconds[0]:.1f} s, "
        f"others median {statistics.median(seconds[1:] or [0]) * 1000:.0f} ms each",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pageviews", type=int, default=10_000_000, help="of the big (first) site")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--paths", type=int, default=5000, help="Zipf-weighted paths")
    parser.add_argument("--distinct-paths", type=int, default=0, help="a long tail of this many paths, all seen")
    parser.add_argument("--sites", type=int, default=1, help="sites in all, the big one included (default 1)")
    parser.add_argument("--active-share", type=float, default=0.2, help="of the other sites, the share with traffic")
    parser.add_argument("--small-pageviews", type=int, default=300, help="typical pageviews of an active small site")
    parser.add_argument("--small-days", type=int, default=30, help="days over which a small site has them")
    parser.add_argument("--domain", default="bench.example")
    parser.add_argument("--timezone", default="Europe/Amsterdam")
    parser.add_argument("--end", default=DEFAULT_END, help=f"local time of the last pageview (default {DEFAULT_END})")
    parser.add_argument("--replace", action="store_true", help="delete this run's sites first if they exist")
    parser.add_argument("--skip-rebuild", action="store_true", help="leave the rollups empty (not for reads)")
    parser.add_argument("--jobs", type=int, default=1, help="sites rebuilt side by side (SQLite: keep 1)")
    options = parser.parse_args()
    if options.sites < 1:
        parser.error("--sites needs at least 1")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    refuse_shared_databases()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max

    from analytics.demo import reset_id_sequences
    from analytics.models import Pageview, Session, Site

    call_command("migrate", verbosity=0)
    tz = zoneinfo.ZoneInfo(options.timezone)
    end = dt.datetime.fromisoformat(options.end).replace(tzinfo=tz)
    owner, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    existing = bench_sites(domain=options.domain, owner=owner)
    if Site.objects.filter(domain=options.domain).exclude(owner=owner).exists():
        sys.exit(f"{options.domain} exists and is not the bench's: choose another --domain.")
    if existing:
        if not options.replace:
            sys.exit(f"{options.domain} exists ({len(existing)} site(s)); pass --replace to generate it again.")
        started = time.perf_counter()
        delete_sites(existing)
        print(f"Deleted {len(existing):,} site(s) of {options.domain} in {time.perf_counter() - started:.0f} s")
    plans = plan_sites(options=options)
    sites = Site.objects.bulk_create(
        [
            Site(domain=plan.domain, owner=owner, timezone=options.timezone, nickname=f"Bench {index}")
            for index, plan in enumerate(plans)
        ]
    )
    if sites[0].pk is None:  # databases without RETURNING for bulk inserts
        sites = list(Site.objects.filter(domain__in=[plan.domain for plan in plans]).order_by("pk"))

    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")
    loaded_sites = [site.pk for site, plan in zip(sites, plans, strict=True) if plan.pageviews]
    with transaction.atomic():
        ids = Ids(
            session=(Session.objects.aggregate(top=Max("id"))["top"] or 0) + 1,
            pageview=(Pageview.objects.aggregate(top=Max("id"))["top"] or 0) + 1,
        )
        first = Ids(ids.session, ids.pageview)

        def batches() -> Iterator[DayRows]:
            for site, plan in zip(sites, plans, strict=True):
                if plan.pageviews:
                    yield from generate(
                        seed=plan.seed,
                        pageviews=plan.pageviews,
                        days=plan.days,
                        paths=options.paths,
                        end=end,
                        tz=tz,
                        site_id=site.pk,
                        ids=ids,
                        long_tail=plan.long_tail,
                    )

        with indexes_built_afterwards():
            (write_postgresql if connection.vendor == "postgresql" else write_sqlite)(batches())
        reset_id_sequences()
    loaded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
    idle = len(plans) - len(loaded_sites)
    print(
        f"{options.domain} ({len(sites):,} site(s), {idle:,} idle; first site {sites[0].pk}, {options.timezone}): "
        f"{ids.pageview - first.pageview:,} pageviews, {ids.session - first.session:,} sessions in {loaded:.0f} s "
        f"(+{time.perf_counter() - started - loaded:.0f} s ANALYZE) on {connection.vendor}",
        flush=True,
    )
    if not options.skip_rebuild:
        rebuild_each_site(site_ids=loaded_sites, now=end + dt.timedelta(seconds=1), jobs=options.jobs)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
