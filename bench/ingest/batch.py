"""In-process cost of one ingest batch: `record_pageviews` for 1,000 pageviews, committed, on a scratch database.

    .venv/bin/python -m bench.ingest.batch --database-name h7_bench_batch             # about a minute
    .venv/bin/python -m bench.ingest.batch --database-name h7_bench_batch --profile  # cProfile of one batch each

The bench creates the PostgreSQL database (it refuses a name that exists) and drops it
afterwards. Each round writes two batches (about 3.5 pageviews per visitor): one of new
visitors, then one of the same visitors ten minutes later, which extends every one of
their sessions. `--shape` chooses the event mix (`bench/ingest/mix.py`; one site here).

The site's period totals are summed after the warm-up round, as the worker's first pass
does, so every measured batch keeps them current too. Each pageview carries a queue id, as the worker's
do. The figure is the median over the rounds; the first round is a warm-up and not
counted. Beside the wall time it prints the CPU time of this process and of its
PostgreSQL backend (read from /proc: the server must run on this machine), which other
work on a busy machine does not inflate. `BENCH_SORT=tottime` orders the profile by the
time spent in each function itself.
"""

import argparse
import cProfile
import datetime as dt
import gc
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

import django

from bench.ingest import mix
from bench.load import dataset

BATCH = 1000
TARGET_MS = 200.0  # the target for a batch of 1,000 with every count kept current


def batches(*, rng: random.Random, start: dt.datetime, size: int, shape: str = "real") -> tuple[list, list]:
    """A batch of new visitors and the batch of the same visitors ten minutes later (one site)."""
    fresh = [pageview for _, pageview in mix.pageviews(rng=rng, shape=shape, size=size, start=start, site_ids=[0])]
    later = dt.timedelta(minutes=10)
    returning = [
        pageview._replace(timestamp=pageview.timestamp + later, event_id=f"{pageview.event_id}-later")
        for pageview in fresh
    ]
    rng.shuffle(returning)
    return fresh, returning


def backend_cpu_reader():
    """A function giving the CPU seconds used so far by this connection's PostgreSQL backend (0 when unreadable)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-name", required=True, help="created and dropped")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432", help="server, no database")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of two batches (the first is not counted)")
    parser.add_argument("--size", type=int, default=BATCH, help=f"pageviews per batch (default {BATCH:,})")
    parser.add_argument("--shape", choices=mix.SHAPES, default="real", help="the event mix (default: real)")
    parser.add_argument("--profile", action="store_true", help="print where one batch of each kind spends its time")
    options = parser.parse_args()

    admin_url = f"{options.postgres_url}/postgres"
    dataset.create_database(server_url=admin_url, name=options.database_name)
    os.environ["DATABASE_URL"] = f"{options.postgres_url}/{options.database_name}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connections, transaction

        from analytics.counting.periods import build_period_totals
        from analytics.models import Site
        from analytics.services import record_pageviews

        call_command("migrate", verbosity=0)
        owner = get_user_model().objects.create(username="bench")
        site = Site.objects.create(owner=owner, domain="batch.example", timezone="UTC")
        rng = random.Random(1)
        start = dt.datetime.now(dt.UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        backend_cpu = backend_cpu_reader()
        gc.freeze()  # as `manage.py ingest_events` does once it has loaded the app
        samples: dict[str, list[float]] = {"new visitors": [], "returning visitors": []}
        cpu: dict[str, list[float]] = {kind: [] for kind in samples}
        for number in range(options.rounds):
            if number == 1:
                with transaction.atomic():
                    build_period_totals(site=site, now=start + dt.timedelta(hours=1))
            fresh, returning = batches(
                rng=rng, start=start + dt.timedelta(seconds=number), size=options.size, shape=options.shape
            )
            for kind, batch in zip(samples, (fresh, returning), strict=True):
                profile = cProfile.Profile() if options.profile and number == 1 else None
                started, own_cpu, database_cpu = time.perf_counter(), time.process_time(), backend_cpu()
                if profile:
                    profile.enable()
                record_pageviews(site=site, pageviews=batch)
                if profile:
                    profile.disable()
                elapsed = (time.perf_counter() - started) * 1000
                if number:
                    samples[kind].append(elapsed)
                    cpu[kind].append((time.process_time() - own_cpu + backend_cpu() - database_cpu) * 1000)
                if profile:
                    print(f"\n--- {kind} ---")
                    pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(30)
        print(
            f"\nrecord_pageviews, batch of {options.size:,}, committed, {options.shape} mix, period totals kept, "
            f"median of {options.rounds - 1} rounds (PostgreSQL)"
        )
        print(f"  {'batch':<22}{'target':>10}{'median ms':>11}{'CPU ms':>8}  runs")
        for kind, values in samples.items():
            runs = ", ".join(f"{value:.0f}" for value in values)
            used = statistics.median(cpu[kind])
            print(f"  {kind:<22}{f'~{TARGET_MS:.0f}':>10}{statistics.median(values):>11.1f}{used:>8.1f}  {runs}")
        print("  CPU ms: this process plus its PostgreSQL backend (what a machine busy with other work cannot blur)")
        connections.close_all()
    finally:
        dataset.drop_database(server_url=admin_url, name=options.database_name)


if __name__ == "__main__":
    sys.exit(main())
