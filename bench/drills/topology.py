"""Drill: the multi-machine topology on one machine, and what each fault does to it.

    .venv/bin/python -m bench.drills.topology            # about 4 minutes
    .venv/bin/python -m bench.drills.topology --short    # under 3 minutes, for .ci/run

All on 127.0.0.1, in a temporary directory, removed afterwards: a PostgreSQL primary (5440) and a
streaming replica made with pg_basebackup (5441), PgBouncer in transaction mode in front of the
primary (6435), a Redis with the append-only file (6440), nginx (8147) over two gunicorn nodes
(8148, 8149), two ingest workers and two block workers. The app reaches the primary through
PgBouncer and reads statistics from the replica, as docs/deployment.md describes. As on several
machines, the processes' clocks disagree: web node, ingest worker and block worker 1 run 3 s
behind, those numbered 2 run 3 s ahead (`DRILL_CLOCK_OFFSET_SECONDS`, config.clock). Under steady
events and reads it kills a gunicorn node, `kill -9`s an ingest worker and a block worker, pauses
the replica's replay for 30 s and revokes a link meanwhile, pauses the ingest workers (the stream
grows, then drains; meanwhile a 24h read on a clock 3 s behind meets pageviews stamped in its
future) and restarts Redis; it prints PASS or FAIL per check and exits 1 on any FAIL, then the
figures of the run: events/s with one and two ingest workers, reads/s with two and one web nodes,
the replica fallback and revocation timings, and what /metrics showed during each fault.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from bench.drills.stack import Background, PrivatePostgres, PrivateRedis, port_in_use, verdict
from bench.load import dataset, servers, traffic

PRIMARY_PORT, REPLICA_PORT, PGBOUNCER_PORT, REDIS_PORT = 5440, 5441, 6435, 6440
NGINX_PORT, NODE_PORTS = 8147, (8148, 8149)
DATABASE = "glimpse_topology"
MONITORING_TOKEN = "topology-drill-monitoring"
MAX_LAG = 5
# Seconds each numbered process's clock is off (web-1, ingest-1 and block-1 behind; those numbered 2 ahead).
CLOCK_OFFSETS = {1: -3.0, 2: 3.0}
ROOT = Path(__file__).resolve().parents[2]
KINDS = {"api cached": 5, "share page": 1, "event": 4}
READS = {"api cached", "share page"}
READ_KINDS = {kind: weight for kind, weight in KINDS.items() if kind in READS}

EXTRA_TOKEN = """
from django.utils import timezone
from analytics.models import Site
from sharing.services import create_share_token
site = Site.objects.get(domain="example.com")
print("GLIMPSE_TOKEN " + create_share_token(site=site, now=timezone.now(), label="to revoke").raw_token)
"""
# A backlog of distinct visitors' pageviews, queued as the endpoint queues them, for timing the drain.
FILL = """
import os, random
from django.utils import timezone
from analytics.event_queue import enqueue
from analytics.models import Site
from analytics.services import NewPageview
site, now, rng = Site.objects.get(domain="example.com"), timezone.now(), random.Random(os.environ["GLIMPSE_FILL"])
for number in range(int(os.environ["GLIMPSE_FILL"].split(":")[1])):
    enqueue(site_id=site.pk, pageview=NewPageview(now, rng.getrandbits(60), f"/fill/{number % 40}"))
"""
# A 24h read on a clock 3 s behind, made the moment the drill says so (a line on stdin), while the pageviews
# written last were stamped by the web node 3 s ahead: does it take the fast path, with the raw rows' numbers?
SKEW_READ = """
import datetime as dt, sys
from unittest import mock
from django.utils import timezone
from analytics.counting import read_24h
from analytics.models import Pageview, Site
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
site = Site.objects.get(domain="example.com")
print("ready", flush=True)
sys.stdin.readline()
now = timezone.now()
with mock.patch.object(read_24h, "raw_last_24_hours_stats", wraps=read_24h.raw_last_24_hours_stats) as raw:
    stats = site_stats(site=site, period="24h", now=now)
latest = Pageview.objects.filter(site=site).latest("timestamp").timestamp
reference = reference_site_stats(site=site, period="24h", now=max(now, latest + dt.timedelta(microseconds=1)))
ahead = (latest - now).total_seconds()
print(f"GLIMPSE_SKEW {ahead:.3f} {int(raw.called)} {stats.pageviews} {stats.unique_visitors} {int(stats == reference)}")
"""
REVOKE = """
from django.utils import timezone
from sharing.models import ShareToken
from sharing.services import revoke_share_token
revoke_share_token(ShareToken.objects.get(label="to revoke"), now=timezone.now())
"""


# Every event counts: bots are accepted but not recorded, which would blur "accepted = written".
traffic.USER_AGENTS = tuple(agent for agent in traffic.USER_AGENTS if "bot" not in agent.lower())


def get(path: str, *, monitor: bool = False, timeout: float = 5) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {MONITORING_TOKEN}"} if monitor else {}
    request = urllib.request.Request(f"http://127.0.0.1:{NGINX_PORT}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def metrics() -> dict[str, float]:
    """`/metrics` as name{labels} -> value (summed over what the node serving it sees)."""
    _, text = get("/metrics", monitor=True)
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


REPLICA_LAG_NAME = 'glimpse_replica_lag_seconds{replica="replica1"}'
WATCHED = (
    "glimpse_event_stream_up",
    "glimpse_event_stream_length",
    "glimpse_event_stream_pending",
    "glimpse_event_stream_oldest_pending_age_seconds",
    "glimpse_ingest_lag_seconds",
    REPLICA_LAG_NAME,
)
seen_during: list[tuple[str, dict[str, float]]] = []


def note_metrics(moment: str) -> None:
    """What /metrics shows at a moment of the drill, printed at the end."""
    values = metrics()
    seen_during.append((moment, {name: values[name] for name in WATCHED if name in values}))


def ready() -> tuple[int, str]:
    status, body = get("/readyz", monitor=True)
    return status, body


def sql(port: int, query: str) -> str:
    return dataset.psql(f"postgres://postgres@127.0.0.1:{port}/{DATABASE}", query)


class Topology:
    def __init__(self, directory: Path, *, short: bool) -> None:
        self.directory = directory
        self.short = short
        self.primary = PrivatePostgres(directory=directory / "primary", port=PRIMARY_PORT)
        self.replica = PrivatePostgres(directory=directory / "replica", port=REPLICA_PORT)
        self.redis = PrivateRedis(directory=directory / "redis", aof=True, port=REDIS_PORT)
        self.processes: dict[str, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        for sub in ("primary", "replica", "redis", "logs"):
            (directory / sub).mkdir()
        self.environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PGBOUNCER_PORT}/{DATABASE}",
            "DATABASE_BEHIND_POOLER": "true",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{DATABASE}",
            "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "MONITORING_TOKEN": MONITORING_TOKEN,
            "NUM_PROXIES": "1",
            "EVENT_RATE": "",
            "PUBLIC_STATS_RATE": "1000000/min",
            "STATS_CACHE_SECONDS": "5",
            "LOG_REPEAT_INTERVAL": "10",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "DEBUG": "false",
            "SECRET_KEY": servers.bench_secret_key(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }

    # --- setting up --------------------------------------------------------------------------
    def start_databases(self) -> None:
        self.primary.initialise()
        self.primary.start()
        dataset.create_database(server_url=f"{self.primary.server_url}/postgres", name=DATABASE)
        self.replica.directory.chmod(0o700)
        if self.replica.as_postgres:
            shutil.chown(self.replica.directory, "postgres", "postgres")
        backup = ["pg_basebackup", "-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres"]
        backup += ["-D", str(self.replica.data), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"]
        subprocess.run([*self.replica.as_postgres, *backup], check=True, capture_output=True)
        # Without feedback, replay cancels a read on the replica that still needs rows the primary vacuumed away.
        with (self.replica.data / "postgresql.auto.conf").open("a") as config:
            config.write("hot_standby_feedback = on\n")
        self.replica.start()
        self.start_pgbouncer()

    def start_pgbouncer(self) -> None:
        directory = self.directory / "pgbouncer"
        directory.mkdir()
        (directory / "users.txt").write_text('"postgres" ""\n')
        options = "connect_query='SET max_parallel_workers_per_gather = 0; SET jit = off'"
        (directory / "pgbouncer.ini").write_text(
            f"[databases]\n* = host=127.0.0.1 port={PRIMARY_PORT} {options}\n\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {PGBOUNCER_PORT}\nunix_socket_dir =\nauth_type = trust\n"
            f"auth_file = {directory}/users.txt\npool_mode = transaction\nserver_reset_query =\n"
            f"default_pool_size = 20\nmax_client_conn = 500\nlogfile = {directory}/pgbouncer.log\n"
            f"pidfile = {directory}/pgbouncer.pid\n"
        )
        as_user = []
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
            as_user = ["-u", "postgres"]
        pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        subprocess.run([pgbouncer, "-d", *as_user, str(directory / "pgbouncer.ini")], check=True)
        for _ in range(100):
            if port_in_use(PGBOUNCER_PORT):
                return
            time.sleep(0.05)
        sys.exit("PgBouncer did not start")

    def seed(self) -> tuple[dataset.Seeded, str]:
        # Migrations once per release, straight to the primary (not through the transaction pool).
        direct = {**self.environment, "DATABASE_URL": f"{self.primary.server_url}/{DATABASE}"}
        direct.pop("DATABASE_BEHIND_POOLER")
        days = 7 if self.short else 30
        seeded = dataset.seed(environment=direct, days=days, visitors_per_day=100, cold_sites=0)
        output = dataset.manage("shell", "-c", EXTRA_TOKEN, environment=self.environment)
        extra = next(line for line in output.splitlines() if line.startswith("GLIMPSE_TOKEN ")).split()[1]
        return seeded, extra

    def clock(self, offset: float) -> dict[str, str]:
        """The environment of a process whose clock runs `offset` seconds off this machine's."""
        return {**self.environment, "DRILL_CLOCK_OFFSET_SECONDS": str(offset)}

    def start_process(self, name: str, command: list[str], *, offset: float) -> None:
        log = (self.directory / "logs" / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.clock(offset), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def start_workers(self, number: int, *, offset: float) -> None:
        self.start_process(f"ingest-{number}", [sys.executable, "manage.py", "ingest_events"], offset=offset)
        command = [sys.executable, "manage.py", "rollup_stats", "--every", "2"]
        self.start_process(f"block-{number}", command, offset=offset)

    def start_app(self) -> None:
        for number, port in enumerate(NODE_PORTS, start=1):
            metrics_directory = self.directory / f"metrics-{number}"
            metrics_directory.mkdir()
            environment = {**self.clock(CLOCK_OFFSETS[number]), "PROMETHEUS_MULTIPROC_DIR": str(metrics_directory)}
            log_path = self.directory / "logs" / f"web-{number}.log"
            self.processes[f"web-{number}"] = servers.start_gunicorn(
                port=port, environment=environment, log_path=log_path
            )
        for number, offset in CLOCK_OFFSETS.items():
            self.start_workers(number, offset=offset)
        prefix = self.directory / "nginx"
        config = servers.write_nginx_config(prefix=prefix, port=NGINX_PORT, upstream_port=NODE_PORTS[0])
        site = (prefix / "glimpse.conf").read_text()
        # Which node answered each request, and how: an event nginx answered 503 can be traced to its node.
        upstream = "$upstream_response_time"
        site = site.replace(f"{upstream}';", f"{upstream} $upstream_addr $upstream_status';")
        one = f"server 127.0.0.1:{NODE_PORTS[0]} fail_timeout=0;"
        both = "\n    ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in NODE_PORTS)
        (prefix / "glimpse.conf").write_text(site.replace(one, both))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        checked = subprocess.run([nginx, "-t", "-q", "-p", str(prefix), "-c", str(config)], capture_output=True)
        if checked.returncode != 0:
            sys.exit(f"nginx -t failed: {checked.stderr.decode()}")
        self.nginx = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(config)], stderr=subprocess.DEVNULL)
        servers.wait_until_up(port=NGINX_PORT, process=self.nginx, log_path=prefix / "error.log")

    def kill_node(self, name: str) -> None:
        """The whole node at once, as when its machine dies: the master and its workers, SIGKILL."""
        master = self.processes[name]
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        for pid in [master.pid, *map(int, children)]:
            os.kill(pid, signal.SIGKILL)
        master.wait()

    def stop(self) -> None:
        servers.stop(self.nginx)
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        pidfile = self.directory / "pgbouncer" / "pgbouncer.pid"
        if pidfile.exists():
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)
        self.replica.stop()
        self.primary.stop()
        if port_in_use(REDIS_PORT):
            self.redis.stop()


def stream_length() -> float:
    return metrics().get("glimpse_event_stream_length", -1)


def wait_for(condition, *, seconds: float, every: float = 0.25) -> float | None:
    """Seconds until `condition()` held, or None if it did not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(every)
    return None


def failed(outcomes: list[traffic.Outcome], kinds: set[str], start: float, end: float) -> int:
    return sum(1 for o in outcomes if o.kind in kinds and start <= o.started < end and o.detail)


def rate(outcomes: list[traffic.Outcome], kinds: set[str], start: float, end: float) -> float:
    return sum(1 for o in outcomes if o.kind in kinds and start <= o.started < end and not o.detail) / (end - start)


def stream_entries() -> int:
    """The stream's length straight from Redis, so timing a drain costs no request to the app."""
    done = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "xlen", "glimpse:events"], capture_output=True)
    return int(done.stdout.strip() or -1)


def drain_rates(topology: Topology, *, count: int) -> dict[int, float]:
    """Events written per second by one and by two ingest workers, each draining the same backlog of `count`."""
    workers = [topology.processes[name] for name in ("ingest-1", "ingest-2")]
    rates = {}
    for running in (1, 2):
        for process in workers:
            process.send_signal(signal.SIGSTOP)
        environment = {**topology.environment, "GLIMPSE_FILL": f"{running}:{count}"}
        dataset.manage("shell", "-c", FILL, environment=environment)
        for process in workers[:running]:
            process.send_signal(signal.SIGCONT)
        seconds = wait_for(lambda: stream_entries() == 0, seconds=120, every=0.05)
        rates[running] = count / seconds if seconds else 0.0
        for process in workers[running:]:
            process.send_signal(signal.SIGCONT)
    return rates


def read_rate(seeded: dataset.Seeded, *, seconds: float) -> tuple[float, int]:
    """Reads/s answered through nginx by the web nodes up now, with nothing else sent meanwhile: cached statistics
    and share pages from 8 connections (each node serves 4 at a time); and how many reads failed."""
    outcomes = traffic.run(target=topology_target(seeded), seconds=seconds, connections=8, kinds=READ_KINDS, timeout=5)
    return rate(outcomes, READS, 0, seconds), sum(1 for o in outcomes if o.detail)


class SkewRead:
    """`SKEW_READ` in a process on the clock of web node 1 (3 s behind), ready to read the moment the drill says so."""

    def __init__(self, topology: Topology) -> None:
        log = (topology.directory / "logs" / "skew-read.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-v", "0", "-c", SKEW_READ],
            cwd=ROOT,
            env=topology.clock(CLOCK_OFFSETS[1]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        self.log_path = topology.directory / "logs" / "skew-read.log"
        topology.processes["skew-read"] = self.process

    def wait_until_ready(self) -> bool:
        return any(line.strip() == "ready" for line in self.process.stdout)

    def failure(self) -> str:
        """The last line of the reader's log: the exception that stopped it."""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def read(self) -> SimpleNamespace | None:
        """Read now: how far the latest pageview lies in the reader's future, whether the raw path ran, the counts,
        and whether they equal the raw rows' (None when the reader failed: its log says why)."""
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        words = self.process.stdout.readline().split()
        self.process.wait(timeout=30)
        if len(words) != 6 or words[0] != "GLIMPSE_SKEW":
            return None
        return SimpleNamespace(
            ahead=float(words[1]),
            raw=words[2] == "1",
            pageviews=int(words[3]),
            visitors=int(words[4]),
            same=words[5] == "1",
        )


def event_refusals(outcomes: list[traffic.Outcome], moments: dict[str, float], access_log: Path) -> list[str]:
    """Each event not answered 202, with when it was answered against the faults, and how nginx logged it (the
    node that had it and what that node answered: 502 for a connection cut or refused)."""
    refused = [o for o in outcomes if o.kind == "event" and o.detail]
    logged = [line for line in access_log.read_text(errors="replace").splitlines() if " POST /api/event " in line]
    logged = [line for line in logged if line.split()[3] != "202"]
    lines = []
    for outcome in refused:
        answered = outcome.started + outcome.milliseconds / 1000
        before = [name for name, moment in moments.items() if moment <= answered]
        lines.append(
            f"{outcome.status} at {answered:.2f} s, after {outcome.milliseconds:.0f} ms "
            f"(last fault before: {before[-1] if before else 'none'})"
        )
    lines += [f"nginx: {' '.join(line.split()[1:])}" for line in logged]
    return lines


def run(topology: Topology, seeded: dataset.Seeded, extra_token: str, *, short: bool) -> bool:
    results = []
    check = results.append
    phase = 8 if short else 15
    burst = 5 if short else 10
    status, body = ready()
    check(verdict(status == 200 and '"status": "ok"' in body, "/readyz is 200 with every check ok", body))
    anonymous, _ = get("/metrics")
    check(verdict(anonymous == 404, "/metrics refused without the monitoring token", f"status {anonymous}"))
    backlog = 3000 if short else 10000
    drained_rates = drain_rates(topology, count=backlog)
    # A second of reads first: both nodes' first answers (imports, first connections) are not what is timed.
    _, warm_up_failed = read_rate(seeded, seconds=1)
    reads_two_nodes, reads_two_failed = read_rate(seeded, seconds=burst)
    # Started now, so that its start-up is over long before it reads and costs the faults' phases no CPU.
    skew_read = SkewRead(topology)
    pageviews_before = int(sql(PRIMARY_PORT, "SELECT count(*) FROM analytics_pageview"))

    seconds = phase * 6 + 30 + 20
    load = Background(SimpleNamespace(target=topology_target(seeded)), seconds=seconds, connections=4, kinds=KINDS)
    moments: dict[str, float] = {}

    # 1. Two web nodes, then one.
    load.sleep_until(phase)
    note_metrics("two nodes, steady")
    killed_at = moments["web-1 killed"] = load.now()
    topology.kill_node("web-1")
    time.sleep(1)
    note_metrics("1 s after a node was killed")
    load.sleep_until(killed_at + phase)
    node_one_after = len((topology.directory / "logs" / "web-2.log").read_text(errors="replace").splitlines())

    # 2. kill -9 an ingest worker and a block worker; a supervisor would start new ones, as here.
    moments["ingest-1 and block-1 killed"] = load.now()
    for name in ("ingest-1", "block-1"):
        topology.processes[name].send_signal(signal.SIGKILL)
        topology.processes[name].wait()
    topology.start_workers(3, offset=CLOCK_OFFSETS[1])
    note_metrics("just after kill -9 of an ingest and a block worker")
    load.sleep_until(load.now() + phase)

    # 3. The replica stops replaying for 30 s; a link is revoked meanwhile.
    paused_at = moments["replay paused"] = load.now()
    sql(REPLICA_PORT, "SELECT pg_wal_replay_pause()")
    lag_passed = wait_for(lambda: metrics().get(REPLICA_LAG_NAME, 0) > MAX_LAG, seconds=20)
    note_metrics(f"replay paused {load.now() - paused_at:.0f} s")
    degraded_status, degraded = ready()
    degraded_after = load.now() - paused_at
    before_status, _ = get(f"/api/public/stats?token={extra_token}&period=7d")
    dataset.manage("shell", "-c", REVOKE, environment=topology.environment)
    revoked_started = time.monotonic()
    revoked_status, _ = get(f"/api/public/stats?token={extra_token}&period=7d")
    revoked_after = time.monotonic() - revoked_started
    load.sleep_until(paused_at + 30)
    sql(REPLICA_PORT, "SELECT pg_wal_replay_resume()")
    resumed_at = moments["replay resumed"] = load.now()
    caught_up = wait_for(lambda: '"status": "ok"' in ready()[1], seconds=20)
    note_metrics(f"replay resumed {load.now() - resumed_at:.0f} s, /readyz ok")

    # 4. Both ingest workers paused: the stream grows; resumed: it drains. The moment they stop, the reader 3 s
    # behind reads 24h while the pageviews written last were stamped by the node 3 s ahead.
    ingest = [topology.processes[name] for name in ("ingest-2", "ingest-3")]
    reader_ready = skew_read.wait_until_ready()
    for process in ingest:
        process.send_signal(signal.SIGSTOP)
    moments["ingest paused"] = load.now()
    skewed = skew_read.read() if reader_ready else None
    time.sleep(phase / 2)
    note_metrics(f"ingest paused {phase / 2:.0f} s")
    grown = stream_length()
    for process in ingest:
        process.send_signal(signal.SIGCONT)
    moments["ingest resumed"] = load.now()
    # Events keep arriving: drained means back to what a second of traffic leaves waiting.
    drained = wait_for(lambda: 0 <= stream_entries() < max(50, grown / 10), seconds=30, every=0.1)
    after_drain = stream_length()
    note_metrics("ingest resumed, stream drained")

    # 5. Redis restarted (AOF on) under traffic.
    moments["Redis stopped"] = load.now()
    topology.redis.stop()
    redis_down_status, redis_down = ready()
    note_metrics("Redis down")
    time.sleep(2)
    topology.redis.start()
    moments["Redis started"] = load.now()
    redis_back = wait_for(lambda: ready()[0] == 200, seconds=20)
    note_metrics("Redis back, /readyz 200")
    outcomes = load.finish()
    end = load.now()
    reads_one_node, reads_one_failed = read_rate(seeded, seconds=burst)

    # Everything accepted is written once: wait for the stream to empty, then count.
    wait_for(lambda: stream_length() == 0, seconds=30)
    time.sleep(1)
    # Each event by its own id, as the tracker sends it again: its last answer, and the pageviews stored under it.
    last_answer = {o.key: o.status for o in outcomes if o.kind == "event"}
    accepted = sum(1 for status in last_answer.values() if status == 202)
    stored_ids = Counter(
        row.rsplit(":", 1)[1]
        for row in sql(PRIMARY_PORT, "SELECT event_id FROM analytics_pageview WHERE event_id LIKE 'k:%'").split()
    )
    lost = sum(1 for key, status in last_answer.items() if status == 202 and not stored_ids[key])
    stored_unaccepted = sum(1 for key, status in last_answer.items() if status != 202 and stored_ids[key])
    ids_stored = sum(1 for key in last_answer if stored_ids[key])
    pageviews_after = int(sql(PRIMARY_PORT, "SELECT count(*) FROM analytics_pageview"))
    rolled_up = int(sql(PRIMARY_PORT, "SELECT coalesce(sum(pageviews), 0) FROM analytics_dailyrollup"))
    replica_count = int(sql(REPLICA_PORT, "SELECT count(*) FROM analytics_pageview"))

    failures = Counter((o.kind, o.status, o.detail[:100]) for o in outcomes if o.detail)
    for (kind, status, detail), count in failures.most_common(8):
        print(f"        {count:>6} x {kind} {status} {detail}")
    for line in event_refusals(outcomes, moments, topology.directory / "nginx" / "access.log"):
        print(f"        event refused: {line}")
    retried = [o for o in outcomes if o.kind in READS and o.retried]
    print(
        f"        {len(retried)} read(s) cut by a failed connection and sent again once by the client "
        f"({'; '.join(sorted({o.retried[:60] for o in retried})) or 'none'})"
    )
    check(
        verdict(
            failed(outcomes, READS, 0, end) == 0 and warm_up_failed == reads_two_failed == reads_one_failed == 0,
            "no failed read in the whole run (node kill, worker kills, replica pause, Redis restart)",
            f"{sum(1 for o in outcomes if o.kind in READS)} reads, {failed(outcomes, READS, 0, end)} failed; "
            f"{warm_up_failed + reads_two_failed} and {reads_one_failed} failed in the read-only bursts",
        )
    )
    after_kill = [o for o in outcomes if killed_at <= o.started < killed_at + phase]
    check(
        verdict(
            node_one_after > 0 and failed(outcomes, READS, killed_at, killed_at + phase) == 0,
            "after the node kill every read is served by the other node",
            f"{sum(1 for o in after_kill if o.kind in READS)} reads in the {phase} s after, 0 failed; "
            f"{sum(1 for o in after_kill if o.kind == 'event' and o.detail)} events in flight on the dying node "
            "answered 503 (not accepted: the script may send them again)",
        )
    )
    check(
        verdict(
            lost == 0 and pageviews_after - pageviews_before == ids_stored,
            "every accepted event written exactly once, counted by its id (worker kills, Redis restart, retries)",
            f"{len(last_answer)} events, {accepted} last answered 202, {lost} of them lost; "
            f"{pageviews_after - pageviews_before} new pageviews for {ids_stored} ids "
            f"({stored_unaccepted} last answered otherwise yet stored: the at-least-once side, still once); "
            f"{sum(1 for o in outcomes if o.kind == 'event') - len(last_answer)} retries sent",
        )
    )
    check(
        verdict(
            rolled_up == pageviews_after,
            "rollups hold every pageview once (nothing summed twice)",
            f"{rolled_up} in the day rollups, {pageviews_after} raw",
        )
    )
    check(verdict(replica_count == pageviews_after, "the replica caught up", f"{replica_count} of {pageviews_after}"))
    check(
        verdict(
            skewed is not None and skewed.ahead > 0 and not skewed.raw and skewed.same and skewed.pageviews > 0,
            "a 24h read on a clock 3 s behind, the latest pageview stamped in its future by the node 3 s ahead, "
            "takes the fast path with the raw rows' numbers",
            f"the reader failed: {skew_read.failure()[:200]}"
            if skewed is None
            else f"latest pageview {skewed.ahead:.1f} s after the reader's now; "
            f"raw path {'taken' if skewed.raw else 'not taken'}; {skewed.pageviews} pageviews, "
            f"{skewed.visitors} visitors, {'equal to' if skewed.same else 'DIFFERENT from'} the raw rows' count",
        )
    )
    check(
        verdict(
            lag_passed is not None and degraded_status == 200 and '"degraded"' in degraded,
            f"replay paused: lag passes {MAX_LAG} s, reads move to the primary, /readyz degraded (200)",
            f"after {lag_passed if lag_passed is None else round(lag_passed, 1)} s; {degraded}",
        )
    )
    check(
        verdict(
            before_status == 200 and revoked_status == 404,
            "a link revoked during the pause is 404 on the next request",
            f"{before_status} before, {revoked_status} on the next request (answered in {revoked_after * 1000:.0f} ms)",
        )
    )
    check(
        verdict(
            caught_up is not None,
            "after replay resumes, reads return to the replica (/readyz ok)",
            f"{caught_up if caught_up is None else round(caught_up, 1)} s after resuming at {resumed_at:.0f} s",
        )
    )
    check(
        verdict(
            grown > 0 and drained is not None and 0 <= after_drain < max(50, grown / 10),
            "/metrics shows the stream growing while ingest is paused and draining after",
            f"{grown:.0f} waiting, drained in {drained if drained is None else round(drained, 1)} s, "
            f"then {after_drain:.0f} in /metrics",
        )
    )
    check(
        verdict(
            redis_down_status == 503 and "redis" in redis_down and redis_back is not None,
            "/readyz is 503 naming Redis while it is down, 200 again after",
            f"{redis_down}; back after {redis_back if redis_back is None else round(redis_back, 1)} s",
        )
    )

    def seconds_or_none(value: float | None) -> str:
        return "never" if value is None else f"{value:.1f} s"

    print("\n  Figures of this run:")
    print(
        f"        events/s written from a backlog of {backlog}: one ingest worker {drained_rates[1]:.0f}, "
        f"two {drained_rates[2]:.0f}"
    )
    print(
        f"        reads/s through nginx, {burst} s of reads alone from 8 connections: two web nodes "
        f"{reads_two_nodes:.0f}, one web node {reads_one_node:.0f}"
    )
    mixed_two, mixed_one = rate(outcomes, READS, 0, killed_at), rate(outcomes, READS, killed_at + 1, killed_at + phase)
    print(
        f"        under the mixed load (4 connections, events among the reads): reads/s with two web nodes "
        f"{mixed_two:.0f}, one {mixed_one:.0f}; "
        f"events/s accepted {rate(outcomes, {'event'}, 0, end):.0f} over the run"
    )
    print(
        f"        replica fallback: replay paused, lag past the {MAX_LAG} s limit in /metrics after "
        f"{seconds_or_none(lag_passed)}, /readyz degraded (statistics from the primary) at {degraded_after:.1f} s; "
        f"back on the replica (/readyz ok) {seconds_or_none(caught_up)} after replay resumed"
    )
    print(
        f"        revocation during the pause: {revoked_status} on the next request, answered in "
        f"{revoked_after * 1000:.0f} ms"
    )
    print(f"        Redis restart: /readyz 503 while down, 200 again {seconds_or_none(redis_back)} after the start")
    print(
        "        clocks: web node, ingest and block worker 1 at "
        + ", 2 at ".join(f"{offset:+.0f} s" for offset in CLOCK_OFFSETS.values())
    )
    print("  /metrics during the faults:")
    for moment, seen in seen_during:
        print(
            f"        {moment}: "
            + ", ".join(f"{name.removeprefix('glimpse_')} {value:g}" for name, value in seen.items())
        )
    values = metrics()
    shown = [
        name
        for name in values
        if re.match(r"glimpse_(events_total|event_stream|ingest_lag|replica_lag|use_count_flushes_total)", name)
    ]
    print("  /metrics at the end:")
    for name in sorted(shown):
        print(f"        {name} {values[name]:g}")
    return all(results)


def topology_target(seeded: dataset.Seeded) -> traffic.Target:
    return traffic.Target(NGINX_PORT, seeded.token, seeded.domain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="shorter phases, a smaller database (CI)")
    arguments = parser.parse_args()
    ports = (PRIMARY_PORT, REPLICA_PORT, PGBOUNCER_PORT, REDIS_PORT, NGINX_PORT, *NODE_PORTS)
    for port in ports:
        if port_in_use(port):
            sys.exit(f"Port {port} is already in use on 127.0.0.1: is another drill running?")
    directory = Path(tempfile.mkdtemp(prefix="glimpse-topology-"))
    directory.chmod(0o755)
    topology = Topology(directory, short=arguments.short)
    started = time.monotonic()
    try:
        topology.redis.start()
        topology.start_databases()
        print(f"PostgreSQL primary, replica and PgBouncer up in {time.monotonic() - started:.0f} s")
        seeded, extra_token = topology.seed()
        topology.start_app()
        print(f"Topology up in {time.monotonic() - started:.0f} s")
        passed = run(topology, seeded, extra_token, short=arguments.short)
    finally:
        topology.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"\n{'PASS' if passed else 'FAIL'} in {time.monotonic() - started:.0f} s")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
