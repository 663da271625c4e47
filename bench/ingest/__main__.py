"""Ingestion through the production server: accepted events/s and latency, the ingest worker's drain rate, and
how long an accepted event takes to show in an uncached answer.

    .venv/bin/python -m bench.ingest --database-name h7_bench_ingest --port 8130      # about 5 minutes
    .venv/bin/python -m bench.ingest --port 8130 --seconds 20 --runs 3 --drain-runs 0  # accepted/s only, 2 minutes

Everything runs on 127.0.0.1: a PostgreSQL database this bench creates on the given
server (it refuses a name that exists, and drops only the database it created), a
private Redis with `appendonly yes` on a port of its own (accepted events live in its
stream until written), gunicorn as the Procfile's `web:` starts it (2 workers of 4
threads, which `GUNICORN_CMD_ARGS` in the environment can change for a comparison;
`EVENT_RATE=` empty, so the per-IP limit does not cut the load), and one ingest worker
(`manage.py ingest_events`, the Procfile's `ingest:`).

The load goes through the production setup: nginx with `deploy/nginx` as shipped (run
unprivileged from a prefix of its own by `bench.load.servers`, listening on `--port`,
gunicorn on the next port), as the accepted-events target is defined. `--no-nginx` sends
it to gunicorn directly. wrk stands for many clients by writing an `X-Forwarded-For`
address per visitor, which nginx extends with the address it saw: behind nginx the app
runs with `NUM_PROXIES=2` (a load balancer in front of nginx), so each written address
stays one client, as with `NUM_PROXIES=1` directly.

After a warm-up (3 s of load, or 5,000 queued events with `--drain-only`) one pass of
`manage.py rollup_stats`, as the Procfile's `worker:` makes on start, sums the sites'
period totals, so that every batch measured below updates them, as in production.

- **The event mix** (`--shape`, `bench/ingest/mix.py`): `real` by default — 50 sites of
  very different sizes, 5,000 paths per site with a long tail, 2,000 referrer hosts and
  300 campaigns; `high-cardinality` (every event a new path and campaign) and `friendly`
  (301 paths, 3 sources) for comparison.
- **Accepted events/s, p50/p99**: wrk with `event.lua` posts beacons of that mix
  (returning and new visitors, paths, referrers, campaigns and user agents) for `--seconds`,
  `--runs` times after a warm-up; the median run is reported.
- **CPU per request, wrk's share**: the CPU time gunicorn's workers used during a run
  (from /proc) per request wrk sent, which other processes' load inflates far less than
  the rate; and wrk's own CPU time as a share of the 2 cores, to show it is not the limit.
- **Where the machine's CPU went**: each run's CPU time of every process taking part, by
  role (gunicorn, nginx, Redis, the ingest worker, its database's PostgreSQL backends, wrk,
  this bench with its prober), and of the whole machine from /proc/stat, whose remainder is
  everything else running on it (other engineers' work, the kernel's own threads): per
  request and as a share of the 2 cores, the median of the runs.
- **The server's floor** (`--floor plain` or `--floor redis`, `bench/ingest/floor.py`): the same
  runs against a WSGI application that only answers 202 (`redis`: after one Redis round trip),
  served by the same gunicorn behind the same nginx; no markers are posted. Its CPU per request
  is what the server costs without Django and the endpoint.
- **Accept → visible**: during each run a prober posts a marker event to a site of its
  own every 0.2 s and polls that site's `DailyRollup` (what an uncached 7d answer sums,
  written in the same transaction as the raw rows) until it counts the marker; the
  figure is the time from the 202 to the first poll that sees it.
- **Drain rate**: with the worker stopped, `--drain-events` events are put in the stream
  and `ingest_events --once` writes them (`--ingest-workers N`: N such processes started
  together, as a Procfile scaled to N `ingest` processes runs them); the time until the
  last one stopped, minus the same command's time on an empty stream (start-up), gives
  events written per second. The workers' own CPU time per 1,000 events (start-up
  subtracted) is printed too: unlike the rate, other work on the machine barely moves it.
  `--drain-only` skips the wrk runs.

This machine's PostgreSQL runs with autovacuum off; production's does not, and without
planner statistics a batch's look-ups scan the site's whole raw history, so the bench
vacuums and analyzes its own database every 60 s as autovacuum would
(`bench/load/autovacuum.py`).

The machine has 2 shared cores: wrk, gunicorn, the worker, PostgreSQL and whatever other
engineers run all compete for them, so figures are conservative and vary between runs.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.drills.stack import PrivateRedis, port_in_use
from bench.ingest import mix
from bench.load import dataset, servers
from bench.load.autovacuum import keep_vacuumed

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
LOAD_DOMAIN = "example.com"
MARKER_DOMAIN = "marker.example"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
TARGETS = {"accepted": 2000, "p99": 50.0, "drained": 10_000, "visible_p99": 5.0}
FLOORS = ("plain", "redis")


def app_environment(
    *, database_url: str, redis_port: int, spool_directory: Path, behind_nginx: bool = False
) -> dict[str, str]:
    """The app's settings under load: the private Redis, no per-IP event limit, quiet logs, 2 web workers, and a
    spool directory of the bench's own (a stopping web process spools what it queued lately: never into the
    checkout's `var/spool`, where the test suite's processes would replay it)."""
    return {
        "EVENT_SPOOL_DIR": str(spool_directory),
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EVENT_RATE": "",
        "NUM_PROXIES": "2" if behind_nginx else "1",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": servers.bench_secret_key(),
        "WEB_CONCURRENCY": "2",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


SETUP = """
from django.contrib.auth import get_user_model
from analytics.models import Site
from bench.ingest.mix import LOAD_SITES
owner, _ = get_user_model().objects.get_or_create(username="bench")
for domain in ("example.com", "marker.example", *LOAD_SITES):
    site, _ = Site.objects.get_or_create(domain=domain, defaults={"owner": owner, "timezone": "UTC"})
    print(domain, site.pk)
"""


@dataclass
class LoadRun:
    requests: int
    rejected: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    visible: list[float] = field(default_factory=list)
    backlog: int = 0
    caught_up_s: float = 0.0
    server_cpu_s: float = 0.0
    wrk_cpu_s: float = 0.0
    load_average: str = ""
    cpu_by_role: dict[str, float] = field(default_factory=dict)

    @property
    def accepted_per_s(self) -> float:
        return (self.requests - self.rejected) / self.seconds

    @property
    def server_cpu_us(self) -> float:
        """CPU time of gunicorn's workers per request: HTTP parsing and sockets included, other processes' load not."""
        return self.server_cpu_s / self.requests * 1e6

    @property
    def wrk_share(self) -> float:
        """wrk's CPU time as a share of the run's wall time on the 2 cores."""
        return self.wrk_cpu_s / (2 * self.seconds)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User and system CPU time of a process, from /proc (clock ticks); with `reaped`, that of its children it
    waited for (gunicorn's master reaps each worker it replaced); 0 for a process gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    first = 13 if reaped else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def workers_cpu_total(server_pid: int) -> float:
    """CPU time of every worker gunicorn's master started: the living ones' and the recycled ones' (`max_requests`)."""
    return cpu_seconds(server_pid, reaped=True) + sum(cpu_seconds(pid) for pid in children(server_pid))


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def machine_busy_seconds() -> float:
    """CPU time the whole machine was not idle, every core, process and kernel thread, from /proc/stat; time the
    hypervisor gave to other machines (steal) counts as busy, being no more ours to use than another process's."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def database_backends(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench's database now (the ingest worker's, the prober's, ...)."""
    with psycopg.connect(database_url, autocommit=True) as database:
        rows = database.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


OTHER = "everything else on the machine"


@dataclass
class CpuMeter:
    """CPU seconds so far of the processes taking part in a run, by role; `OTHER` is the machine's busy time they
    leave over. A process that ends during a run loses its last reading (only the bench's own children are reaped
    into `RUSAGE_CHILDREN`): the remainder then counts it as another's."""

    gunicorn: int
    nginx: int | None
    redis_pid_file: Path
    worker: int | None
    database_url: str

    def read(self) -> dict[str, float]:
        redis_pid = int(self.redis_pid_file.read_text()) if self.redis_pid_file.exists() else None
        itself = resource.getrusage(resource.RUSAGE_SELF)
        wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
        roles = {
            "gunicorn (workers and master)": workers_cpu_total(self.gunicorn) + cpu_seconds(self.gunicorn),
            **({"nginx": sum(cpu_seconds(pid) for pid in [self.nginx, *children(self.nginx)])} if self.nginx else {}),
            "Redis": cpu_seconds(redis_pid) if redis_pid else 0.0,
            "ingest worker": cpu_seconds(self.worker) if self.worker else 0.0,
            "PostgreSQL (the bench's database)": sum(cpu_seconds(pid) for pid in database_backends(self.database_url)),
            "wrk": wrk.ru_utime + wrk.ru_stime,
            "this bench (prober, vacuum)": itself.ru_utime + itself.ru_stime,
        }
        return {**roles, OTHER: machine_busy_seconds() - sum(roles.values())}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def run_wrk(
    *,
    port: int,
    seconds: int,
    connections: int,
    max_requests: int,
    server_pid: int,
    shape: str = "real",
    meter: CpuMeter | None = None,
) -> LoadRun:
    environment = {**os.environ, "BENCH_MAX_REQUESTS_PER_THREAD": str(max_requests // 2), "BENCH_SHAPE": shape}
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(HERE / "event.lua")]
    roles_before = meter.read() if meter is not None else {}
    server_before, wrk_before = workers_cpu_total(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        [*command, f"http://{HOST}:{port}/api/event"], env=environment, check=True, capture_output=True, text=True
    ).stdout
    server_cpu = workers_cpu_total(server_pid) - server_before
    roles_after = meter.read() if meter is not None else {}
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime
    total, elapsed, unit = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", output).groups()
    rejected = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    return LoadRun(
        requests=int(total),
        rejected=int(rejected.group(1)) if rejected else 0,
        errors=sum(int(count) for count in errors.groups()) if errors else 0,
        seconds=float(elapsed) * {"ms": 0.001, "s": 1, "m": 60}[unit],
        p50_ms=milliseconds(latency["50"]),
        p99_ms=milliseconds(latency["99"]),
        server_cpu_s=server_cpu,
        wrk_cpu_s=wrk_cpu,
        cpu_by_role={role: roles_after[role] - roles_before[role] for role in roles_after},
    )


class Prober(threading.Thread):
    """Posts a marker event, waits until the marker site's rollup counts it, records the delay; repeats."""

    def __init__(self, *, port: int, database_url: str, site_id: int) -> None:
        super().__init__(daemon=True)
        self.port, self.database_url, self.site_id = port, database_url, site_id
        self.delays: list[float] = []
        self.unseen = 0
        self.stopping = threading.Event()

    def counted(self, database) -> int:
        row = database.execute(
            "SELECT coalesce(sum(pageviews), 0) FROM analytics_dailyrollup WHERE site_id = %s", [self.site_id]
        ).fetchone()
        return int(row[0])

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as database:
            expected = self.counted(database)
            number = 0
            while not self.stopping.is_set():
                number += 1
                body = json.dumps({"domain": MARKER_DOMAIN, "url": f"https://{MARKER_DOMAIN}/marker/{number}"})
                headers = {"Content-Type": "text/plain", "User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7"}
                # A connection per marker: gunicorn closes a kept-alive one idle for 2 s, as the wait below can be.
                connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
                connection.request("POST", "/api/event", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                connection.close()
                accepted_at = time.monotonic()
                if response.status != 202:
                    continue
                expected += 1
                while self.counted(database) < expected:
                    if time.monotonic() - accepted_at > 30:
                        self.unseen += 1
                        expected = self.counted(database)
                        break
                    time.sleep(0.02)
                else:
                    self.delays.append(time.monotonic() - accepted_at)
                self.stopping.wait(0.2)


def stream_length(redis: PrivateRedis) -> int:
    return int(redis.command("xlen", "glimpse:events") or 0)


def wait_until_drained(redis: PrivateRedis, *, seconds: float = 300) -> float:
    started = time.monotonic()
    while stream_length(redis) > 0 and time.monotonic() - started < seconds:
        time.sleep(0.1)
    return time.monotonic() - started


def prefill(*, environment: dict[str, str], site_ids: list[int], events: int, seed: int, shape: str) -> None:
    """`events` queued pageviews of the `shape` mix (`bench/ingest/mix.py`) over `site_ids`, as the endpoint
    writes them."""
    code = f"""
import datetime as dt, random
from django_redis import get_redis_connection
from analytics.event_queue import FIELD, STREAM, encode
from bench.ingest.mix import pageviews
client = get_redis_connection("default")
queued = pageviews(
    rng=random.Random({seed}), shape={shape!r}, size={events}, start=dt.datetime.now(dt.UTC), site_ids={site_ids!r}
)
pipeline = client.pipeline(transaction=False)
for index, (site_id, pageview) in enumerate(queued):
    pipeline.xadd(STREAM, {{FIELD: encode(site_id=site_id, pageview=pageview._replace(event_id=None))}})
    if index % 1000 == 999:
        pipeline.execute()
pipeline.execute()
"""
    dataset.manage("shell", "--no-imports", "-c", code, environment=environment)


def workers_cpu() -> float:
    """CPU seconds used so far by the processes this bench waited for (the ingest workers among them)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_once(environment: dict[str, str], *, workers: int = 1) -> float:
    """Seconds until `workers` processes of `ingest_events --once`, started together, have all stopped."""
    started = time.monotonic()
    command = ["manage.py", "ingest_events", "--once", "--block-ms", "1"]
    profile = os.environ.get("BENCH_PROFILE_DRAIN")  # a path prefix: each worker writes cProfile's stats there
    processes = [
        subprocess.Popen(
            [sys.executable, *(["-m", "cProfile", "-o", f"{profile}.{number}"] if profile else []), *command],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for number in range(workers)
    ]
    for process in processes:
        output, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"ingest_events --once failed:\n{output.decode()[-3000:]}")
    return time.monotonic() - started


def start_worker(*, environment: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "ingest_events"], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    return worker


def figure(values: list[float]) -> str:
    return ", ".join(f"{value:,.0f}" if value >= 100 else f"{value:.1f}" for value in values)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(*, runs: list[LoadRun], drains: list[float], startup: float, options: argparse.Namespace) -> None:
    def median(values) -> float:
        values = list(values)
        return statistics.median(values) if values else float("nan")

    accepted = median(run.accepted_per_s for run in runs)
    p50 = median(run.p50_ms for run in runs)
    p99 = median(run.p99_ms for run in runs)
    visible = [percentile(run.visible, 0.99) for run in runs]
    drained = median(drains)
    workers = options.ingest_workers
    where = "gunicorn directly" if options.no_nginx else "nginx in front of gunicorn"
    print(
        f"\nIngestion, {len(runs)} run(s) of {options.seconds} s at {options.connections} connections through {where} "
        f"(median run); load average {load_average()}"
    )
    print("  The machine has 2 shared cores (wrk, gunicorn, worker, PostgreSQL and other engineers' work).")
    rows = [
        (f"accepted events/s ({'gunicorn' if options.no_nginx else 'nginx + gunicorn'}, 2 workers)",
         f">= {TARGETS['accepted']:,}", accepted,
         accepted >= TARGETS["accepted"] if not options.no_nginx else None,
         figure([run.accepted_per_s for run in runs])),
        ("p99 latency of POST /api/event (ms)", f"< {TARGETS['p99']:.0f}", p99, p99 < TARGETS["p99"],
         figure([run.p99_ms for run in runs])),
        ("p50 latency (ms)", "", p50, None, figure([run.p50_ms for run in runs])),
        ("gunicorn workers' CPU per request (us)", "", median(run.server_cpu_us for run in runs), None,
         figure([run.server_cpu_us for run in runs])),
        ("wrk's share of the 2 cores (%)", "", median(100 * run.wrk_share for run in runs), None,
         figure([100 * run.wrk_share for run in runs])),
        (f"drained events/s ({workers} x ingest_events --once)", f">= {TARGETS['drained']:,}", drained,
         drained >= TARGETS["drained"], figure(drains)),
        ("accept -> visible p99 (s), under load", f"< {TARGETS['visible_p99']:.0f}", median(visible),
         median(visible) < TARGETS["visible_p99"], figure(visible)),
    ]  # fmt: skip
    if not runs:
        rows = [row for row in rows if row[0].startswith("drained")]
    if options.floor:
        rows = [row for row in rows if not row[0].startswith("accept -> visible")]
        print(f"  The server's floor: bench/ingest/floor.py's `{options.floor}` instead of the app, no verdict given.")
    if not drains:
        rows = [row for row in rows if not row[0].startswith("drained")]
    print(f"  {'measure':<44}{'target':>10}{'median':>10}  verdict  runs")
    for name, target, value, passed, each in rows:
        verdict = "" if passed is None or options.floor else ("met" if passed else "MISSED")
        print(f"  {name:<44}{target:>10}{value:>10,.1f}  {verdict:<7}  {each}")
    for index, run in enumerate(runs, 1):
        print(
            f"  run {index}: {run.requests:,} requests, {run.rejected:,} non-2xx, {run.errors:,} socket errors; "
            f"markers seen {len(run.visible)} (p50 {statistics.median(run.visible or [0]):.2f} s, "
            f"max {max(run.visible or [0]):.2f} s); stream backlog at the end {run.backlog:,}, "
            f"written {run.caught_up_s:.1f} s later; load average at its end {run.load_average}"
        )
    if runs and runs[0].cpu_by_role:
        print("  Where the machine's CPU went (median of the runs)  us/request  % of the 2 cores")
        for role in runs[0].cpu_by_role:
            per_request = median(run.cpu_by_role[role] / run.requests * 1e6 for run in runs)
            share = median(100 * run.cpu_by_role[role] / (2 * run.seconds) for run in runs)
            print(f"    {role:<46}{per_request:>10,.0f}  {share:>14.0f}")
        busy = median(100 * sum(run.cpu_by_role.values()) / (2 * run.seconds) for run in runs)
        print(f"    {'the machine, busy':<46}{'':>10}  {busy:>14.0f}")
    if options.no_nginx and runs:
        print("  The accepted-events target is for nginx in front (without --no-nginx): no verdict given here.")
    if drains:
        print(
            f"  drain: {options.drain_events:,} queued events per run; start-up of the command {startup:.1f} s "
            "subtracted"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-name", default=f"glimpse_bench_ingest_{os.getpid()}", help="created and dropped")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432", help="server, no database")
    parser.add_argument("--port", type=int, default=8130, help="nginx on 127.0.0.1 (gunicorn: the next port)")
    parser.add_argument("--no-nginx", action="store_true", help="load gunicorn directly, on --port")
    parser.add_argument("--redis-port", type=int, default=6398, help="the private Redis on 127.0.0.1")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=600_000, help="per run, at most")
    parser.add_argument("--drain-events", type=int, default=100_000)
    parser.add_argument("--drain-runs", type=int, default=3, help="0: no drain measure")
    parser.add_argument("--ingest-workers", type=int, default=1, help="worker processes draining side by side")
    parser.add_argument("--drain-only", action="store_true", help="measure the drain rate alone (no wrk runs)")
    parser.add_argument(
        "--shape", choices=mix.SHAPES, default="real", help="the event mix (bench/ingest/mix.py; default: real)"
    )
    parser.add_argument(
        "--floor", choices=FLOORS, help="serve bench/ingest/floor.py's application instead of the app (no markers)"
    )
    options = parser.parse_args()
    # Started in the background, SIGINT may be ignored; SIGTERM would skip the clean-up below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    if not options.no_nginx and not Path(servers.NGINX).exists():
        sys.exit("nginx is needed (apt-get install nginx), or measure gunicorn alone with --no-nginx")
    gunicorn_port = options.port if options.no_nginx else options.port + 1
    for port in {options.port, gunicorn_port, options.redis_port}:
        if port_in_use(port):
            sys.exit(f"Port {port} is already in use on 127.0.0.1")

    directory = Path(tempfile.mkdtemp(prefix="glimpse-bench-ingest-"))
    admin_url = f"{options.postgres_url}/postgres"
    dataset.create_database(server_url=admin_url, name=options.database_name)
    database_url = f"{options.postgres_url}/{options.database_name}"
    redis = PrivateRedis(directory=directory, aof=True, port=options.redis_port)
    gunicorn = nginx = worker = keeper = None
    try:
        redis.start()
        environment = {
            **os.environ,
            **app_environment(
                database_url=database_url,
                redis_port=options.redis_port,
                spool_directory=directory / "spool",
                behind_nginx=not options.no_nginx,
            ),
        }
        dataset.manage("migrate", "--noinput", "-v0", environment=environment)
        site_ids = dict(
            line.split() for line in dataset.manage("shell", "--no-imports", "-c", SETUP, environment=environment)
            .splitlines() if line.endswith(tuple("0123456789"))
        )  # fmt: skip
        load_ids = (
            [int(site_ids[domain]) for domain in mix.LOAD_SITES]
            if options.shape == "real"
            else [int(site_ids[LOAD_DOMAIN])]
        )
        gunicorn = servers.start_gunicorn(
            port=gunicorn_port,
            environment=environment,
            log_path=directory / "web.log",
            wsgi_app=f"bench.ingest.floor:{options.floor}" if options.floor else None,
        )
        if not options.no_nginx:
            nginx = servers.start_nginx(prefix=directory, port=options.port, upstream_port=gunicorn_port)
        worker = start_worker(environment=environment, log_path=directory / "worker.log")
        front = f"gunicorn :{gunicorn_port}" + ("" if options.no_nginx else f" behind nginx :{options.port}")
        print(f"Database {options.database_name}, Redis :{options.redis_port}, {front}", flush=True)
        if not options.drain_only:
            run_wrk(
                port=options.port,
                seconds=3,
                connections=options.connections,
                max_requests=20_000,
                server_pid=gunicorn.pid,
                shape=options.shape,
            )
        else:
            prefill(environment=environment, site_ids=load_ids, events=5_000, seed=99, shape=options.shape)
        wait_until_drained(redis)
        dataset.manage("rollup_stats", environment=environment)  # the Procfile worker's first pass: period totals
        with psycopg.connect(database_url) as database:
            periods = database.execute("SELECT count(*) FROM analytics_periodwindow").fetchone()[0]
        print(f"  period totals summed after the warm-up: {periods} (site, period) pairs", flush=True)
        keeper = keep_vacuumed(database_url)
        meter = CpuMeter(
            gunicorn=gunicorn.pid,
            nginx=nginx.pid if nginx is not None else None,
            redis_pid_file=directory / "redis.pid",
            worker=worker.pid,
            database_url=database_url,
        )

        runs = []
        for number in range(1, 0 if options.drain_only else options.runs + 1):
            prober = Prober(port=options.port, database_url=database_url, site_id=int(site_ids[MARKER_DOMAIN]))
            if options.floor:
                prober.stopping.set()  # nothing the floor answers is stored: no marker could ever be seen
            prober.start()
            try:
                run = run_wrk(
                    port=options.port,
                    seconds=options.seconds,
                    connections=options.connections,
                    max_requests=options.max_requests,
                    server_pid=gunicorn.pid,
                    shape=options.shape,
                    meter=meter,
                )
            finally:
                prober.stopping.set()
                prober.join(timeout=40)
            run.visible = prober.delays
            run.load_average = load_average()
            run.backlog = stream_length(redis)
            run.caught_up_s = wait_until_drained(redis)
            runs.append(run)
            print(
                f"  run {number}: {run.accepted_per_s:,.0f} accepted/s, p99 {run.p99_ms:.1f} ms, "
                f"gunicorn CPU {run.server_cpu_us:,.0f} us/request, wrk {100 * run.wrk_share:.0f}% of the cores, "
                f"visible p99 {percentile(run.visible, 0.99):.2f} s ({prober.unseen} markers unseen after 30 s)",
                flush=True,
            )

        servers.stop(worker)
        worker = None
        if not options.drain_runs:
            report(runs=runs, drains=[], startup=0.0, options=options)
            print(f"  measured {dt.datetime.now().isoformat(timespec='minutes')}")
            return
        cpu_before = workers_cpu()
        startup = statistics.median(timed_once(environment, workers=options.ingest_workers) for _ in range(2))
        startup_cpu = (workers_cpu() - cpu_before) / 2
        drains = []
        for number in range(options.drain_runs):
            prefill(
                environment=environment,
                site_ids=load_ids,
                events=options.drain_events,
                seed=number,
                shape=options.shape,
            )
            queued = stream_length(redis)
            cpu_before = workers_cpu()
            elapsed = timed_once(environment, workers=options.ingest_workers) - startup
            cpu = (workers_cpu() - cpu_before - startup_cpu) / queued * 1_000_000
            drains.append(queued / elapsed)
            print(
                f"  drain: {queued:,} events in {elapsed:.1f} s (+{startup:.1f} s start-up); "
                f"workers' CPU {cpu:.0f} ms per 1,000 events",
                flush=True,
            )
        report(runs=runs, drains=drains, startup=startup, options=options)
        print(f"  measured {dt.datetime.now().isoformat(timespec='minutes')}")
    finally:
        if keeper is not None:
            keeper.stop()
        servers.stop(worker)
        servers.stop(nginx)
        servers.stop(gunicorn)
        if port_in_use(options.redis_port):
            redis.stop()
        dataset.drop_database(server_url=admin_url, name=options.database_name)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
