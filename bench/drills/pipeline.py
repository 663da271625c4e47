"""The ingestion pipeline's own drill world: private Redis (appendonly) and PostgreSQL, gunicorn, ingest workers,
and a sender whose every event carries a marker path and an id of its own, so each accepted event can be counted in
the database by its id.

The sender behaves as the tracker (static/js/script.js): each event carries a random UUID as
its `id`, and an event answered 503 or 429, or not answered at all, is sent again with the
same id after `Retry-After` seconds (or 1, 2, 4, 8, 16 s without one), at most 5 times.

Nothing touches the shared PostgreSQL (5432) or Redis (6379): the private ones live in
a temporary directory on ports 6397 and 5447 (as the other drills) and are removed at
the end. gunicorn runs the Procfile's web command (2 workers of 4 threads) on port 8183;
`EVENT_RATE` is empty so the per-IP limit never answers 429 to the load.
"""

import heapq
import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.drills.stack import PrivatePostgres, PrivateRedis, private_services
from bench.load import dataset, servers

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_PORT = int(os.environ.get("DRILL_PIPELINE_PORT", "8183"))
DATABASE = "glimpse_pipeline_drill"
DOMAIN = "drill.example"
STREAM = "glimpse:events"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SETUP = f"""
from django.contrib.auth import get_user_model
from analytics.models import Site
owner, _ = get_user_model().objects.get_or_create(username="drill")
print("SITE", Site.objects.get_or_create(domain="{DOMAIN}", defaults={{"owner": owner}})[0].pk)
"""
COUNT = """
import json
from django.db.models import Count
from analytics.models import Pageview
rows = Pageview.objects.filter(site__domain="{domain}").values_list("path").annotate(n=Count("id"))
print("COUNTS " + json.dumps(dict(rows)))
"""
# Stored pageviews by the id their sender gave them (stored as `k:<site id>:<id>`, analytics.ingestion).
COUNT_KEYS = """
import json
from analytics.models import Pageview
ids = Pageview.objects.filter(site__domain="{domain}", event_id__startswith="k:").values_list("event_id", flat=True)
print("KEYS " + json.dumps([event_id.rsplit(":", 1)[1] for event_id in ids]))
"""
RETRIES = 5  # as the tracker: at most 5 more sends of one event
RETRIED = {0, 429, 503}  # no answer, or told to send it again


@dataclass
class PipelineStack:
    directory: Path
    redis: PrivateRedis
    postgres: PrivatePostgres
    environment: dict[str, str]
    gunicorn: "subprocess.Popen | None" = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.directory / "gunicorn.log"

    def start_worker(self, *arguments: str) -> subprocess.Popen:
        log = (self.directory / "worker.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "ingest_events", *arguments],
            cwd=ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(worker)
        return worker

    def stream(self) -> tuple[int, int]:
        """(entries in the stream, entries taken but not acknowledged)."""
        length = int(self.redis.command("xlen", STREAM) or 0)
        summary = self.redis.command("xpending", STREAM, "ingest").splitlines()
        return length, int(summary[0]) if summary and summary[0].isdigit() else 0

    def taken_by(self, pid: int) -> bool:
        """Whether the worker with this pid (consumer `<host>-<pid>`) holds entries it has not acknowledged."""
        consumer = f"{socket.gethostname()}-{pid}"
        answer = self.redis.command("xpending", STREAM, "ingest", "-", "+", "1", consumer)
        return re.match(r"\d+-\d+$", answer.splitlines()[0] if answer else "") is not None

    def wait_until_written(self, *, seconds: float) -> float:
        """Wait until the stream is empty (every entry written, acknowledged and deleted); the time it took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.stream() == (0, 0):
                return time.monotonic() - started
            time.sleep(0.2)
        return float("inf")

    def stored(self) -> Counter:
        """How many pageviews each marker path has in the database."""
        code = COUNT.format(domain=DOMAIN)
        output = dataset.manage("shell", "--no-imports", "-c", code, environment=self.environment)
        line = next(line for line in output.splitlines() if line.startswith("COUNTS "))
        return Counter(json.loads(line.removeprefix("COUNTS ")))

    def stored_keys(self) -> Counter:
        """How many pageviews are stored under each event id a sender gave."""
        code = COUNT_KEYS.format(domain=DOMAIN)
        output = dataset.manage("shell", "--no-imports", "-c", code, environment=self.environment)
        line = next(line for line in output.splitlines() if line.startswith("KEYS "))
        return Counter(json.loads(line.removeprefix("KEYS ")))

    def log_lines(self, start: int = 0) -> list[str]:
        with self.log_path.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace").splitlines()


@contextmanager
def pipeline_stack(
    *, workers: int = 1, aof: bool = True, settings: dict[str, str] | None = None
) -> Iterator[PipelineStack]:
    with private_services(
        prefix="glimpse-pipeline-drill-",
        database=DATABASE,
        aof=aof,
        ports=(GUNICORN_PORT,),
        settings={"WEB_CONCURRENCY": "2", **(settings or {})},
    ) as services:
        stack = None
        try:
            environment = services.environment
            dataset.manage("migrate", "--noinput", "-v0", environment=environment)
            dataset.manage("shell", "--no-imports", "-c", SETUP, environment=environment)
            stack = PipelineStack(
                directory=services.directory, redis=services.redis, postgres=services.postgres, environment=environment
            )
            stack.gunicorn = servers.start_gunicorn(
                port=GUNICORN_PORT, environment=environment, log_path=stack.log_path
            )
            for _ in range(workers):
                stack.start_worker()
            yield stack
        finally:
            if stack is not None:
                for worker in stack.workers:
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGTERM)
                        worker.wait(timeout=15)
                servers.stop(stack.gunicorn)


class Sender:
    """Posts events from a few threads, each with a unique marker path and id, sending refused ones again as the
    tracker does; keeps each marker's last status (0: no answer) and its id (`keys`).

    `finish` stops new events and waits until every retry due has been sent (at most `RETRIES` per event).
    """

    def __init__(self, *, connections: int = 4, pause: float = 0.0, prefix: str = "m") -> None:
        self.prefix = prefix
        self.statuses: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        self.retries: list[tuple[float, str, int]] = []  # a heap of (due, marker, sends so far)
        self.resent = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pause = pause
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self.send, args=(index,), daemon=True) for index in range(connections)]
        for thread in self.threads:
            thread.start()

    def now(self) -> float:
        return time.monotonic() - self.started

    def send(self, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)
        count = 0
        while True:
            retry = self.due_retry()
            if retry is not None:
                marker, sends = retry
            elif self.stopping.is_set():
                if not self.retries:
                    return
                time.sleep(0.05)
                continue
            else:
                count += 1
                marker, sends = f"/{self.prefix}/{number}/{count}", 0
                with self.lock:
                    self.keys[marker] = str(uuid.uuid4())
            body = json.dumps(
                {"domain": DOMAIN, "url": f"https://{DOMAIN}{marker}", "referrer": "", "id": self.keys[marker]}
            )
            # One address per event, the same for its retries: one visitor, within the new-visitor cap.
            address = f"198.51.{number}.{int(marker.rsplit('/', 1)[1]) % 250 + 1}"
            headers = {"Content-Type": "text/plain", "User-Agent": CHROME, "X-Forwarded-For": address}
            retry_after = None
            try:
                connection.request("POST", "/api/event", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                retry_after = response.getheader("Retry-After")
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)
            with self.lock:
                self.statuses[marker] = status
                self.resent += sends > 0
                if status in RETRIED and sends < RETRIES:
                    # As the tracker: Retry-After if the answer has one, else 1, 2, 4, 8, 16 s.
                    wait = max(int(retry_after) if retry_after and retry_after.isdigit() else 0, 1 << sends)
                    heapq.heappush(self.retries, (time.monotonic() + wait, marker, sends + 1))
            if self.pause:
                time.sleep(self.pause)

    def due_retry(self) -> tuple[str, int] | None:
        with self.lock:
            if self.retries and self.retries[0][0] <= time.monotonic():
                _, marker, sends = heapq.heappop(self.retries)
                return marker, sends
        return None

    def finish(self) -> dict[str, int]:
        """Stop sending new events, send the retries still due (as a tracker would), and return the last statuses."""
        self.stopping.set()
        # 5 retries of at most max(Retry-After, 16 s) each, and the requests themselves.
        deadline = time.monotonic() + RETRIES * 16 + 30
        for thread in self.threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        return dict(self.statuses)

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - self.now()))


@dataclass(frozen=True)
class Tally:
    """What clients were last told against what was stored. With the sender's ids (`keys`), an event counts as
    stored when a pageview carries its id; a marker stored more than once is doubled whatever its ids."""

    accepted: int
    other: Counter
    lost: list[str]
    doubled: list[str]
    unaccepted_stored: int
    by_key: bool = False

    @property
    def exactly_once(self) -> bool:
        return self.accepted > 0 and not self.lost and not self.doubled


def tally(
    statuses: dict[str, int], stored: Counter, *, keys: dict[str, str] | None = None, stored_keys: Counter | None = None
) -> Tally:
    """Judge by marker path, or, given the sender's `keys` and the stack's `stored_keys`, by each event's id."""
    accepted = [marker for marker, status in statuses.items() if status == 202]
    if keys is not None and stored_keys is not None:
        count = {marker: stored_keys.get(keys[marker], 0) for marker in statuses}
        doubled = {marker for marker, rows in stored.items() if rows > 1}
        doubled |= {marker for marker, rows in count.items() if rows > 1}
    else:
        count = {marker: stored.get(marker, 0) for marker in statuses}
        doubled = {marker for marker, rows in stored.items() if rows > 1}
    return Tally(
        accepted=len(accepted),
        other=Counter(status for status in statuses.values() if status != 202),
        lost=[marker for marker in accepted if count[marker] == 0],
        doubled=sorted(doubled),
        unaccepted_stored=sum(1 for marker, status in statuses.items() if status != 202 and count[marker]),
        by_key=keys is not None and stored_keys is not None,
    )


def print_tally(result: Tally, stored: Counter) -> None:
    others = ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(result.other.items()))
    print(
        f"  {result.accepted:,} events accepted (202){'; other answers ' + others if others else ''}; "
        f"{sum(stored.values()):,} pageviews stored for {len(stored):,} markers"
        + ("; counted by each event's id" if result.by_key else "")
    )
    if result.unaccepted_stored:
        print(f"  info  {result.unaccepted_stored} events not answered 202 were stored anyway (at-least-once side)")


def verdict(passed: bool, expectation: str, figures: str) -> bool:
    print(f"  {'PASS' if passed else 'FAIL'}  {expectation}: {figures}")
    return passed


def queue_warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if re.search(r"Event queue unreachable", line)]


# --- What every fault must also keep: cached reads fast, rate limits on, logs bounded -------------------------------
# The drill's limits (set by `FAULT_SETTINGS`): low enough for a probe to cross in a second or two, high enough that
# the sender (1,000 addresses at about 300 events/s in all) and the reader (250 addresses) never meet them.
EVENT_RATE_LIMIT = 40
STATS_RATE_LIMIT = 20
FAULT_SETTINGS = {"EVENT_RATE": f"{EVENT_RATE_LIMIT}/min", "PUBLIC_STATS_RATE": f"{STATS_RATE_LIMIT}/min"}
READ_P99_MS = 100
# Warnings, errors and tracebacks that gunicorn and the ingest worker may add during one fault and its recovery: a
# repeated failure is one line per LOG_REPEAT_INTERVAL and process (a traceback per event would be thousands).
# Access lines (one per request answered other than 202) and INFO lines (one per written batch) are counted apart.
LOG_LINES_BOUND = 60
# With Redis away each of the 2 web processes counts on its own, and a burst may straddle a window boundary: at most
# 2 x 2 x the limit accepted. A probe sends 20 more than that, so at least 20 must be refused if the limit is on.
PROCESSES = 2
ACCESS_LINE = re.compile(r'^\[[^\]]+\] "[A-Z]+ ')
INFO_LINE = re.compile(r"^\S+ \S+ INFO |^\[[^\]]+\] \[\d+\] \[INFO\] ")
READ_TOKEN = f"""
from django.utils import timezone
from analytics.models import Site
from sharing.services import create_share_token
print("TOKEN", create_share_token(site=Site.objects.get(domain="{DOMAIN}"), now=timezone.now()).raw_token)
"""


def issue_read_token(stack: PipelineStack) -> str:
    """A share token of the drill's site, for the reader of the public stats API."""
    output = dataset.manage("shell", "--no-imports", "-c", READ_TOKEN, environment=stack.environment)
    return next(line for line in output.splitlines() if line.startswith("TOKEN ")).removeprefix("TOKEN ")


def stats_path(token: str) -> str:
    return f"/api/public/stats?token={token}&period=7d"


def exchange(
    connection: http.client.HTTPConnection, method: str, path: str, *, body: str | None, headers: dict[str, str]
) -> tuple[int, http.client.HTTPConnection]:
    """One request on a kept-alive connection: its status (0: no answer, then a new connection for the next)."""
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, connection
    except (OSError, http.client.HTTPException):
        connection.close()
        return 0, http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)


class Reader:
    """Reads the public stats API (cached) from a thread, from 250 addresses in turn: (seconds, ms, status) each.

    A read whose connection breaks without an answer (a web worker killed mid-request) is sent again once at
    once, as browsers and HTTP libraries do with a GET; its time includes both tries, and `resent` counts them.
    A server that answers nobody fails both tries.
    """

    def __init__(self, token: str, *, pause: float = 0.02) -> None:
        self.path = stats_path(token)
        self.pause = pause
        self.samples: list[tuple[float, float, int]] = []
        self.resent: list[float] = []  # when each read sent again began
        self.stopping = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def now(self) -> float:
        return time.monotonic() - self.started

    def read(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)
        count = 0
        while not self.stopping.is_set():
            count += 1
            headers = {"User-Agent": CHROME, "X-Forwarded-For": f"192.0.2.{count % 250 + 1}"}
            began = time.monotonic()
            status, connection = exchange(connection, "GET", self.path, body=None, headers=headers)
            if status == 0:
                self.resent.append(began - self.started)
                status, connection = exchange(connection, "GET", self.path, body=None, headers=headers)
            self.samples.append((began - self.started, (time.monotonic() - began) * 1000, status))
            time.sleep(self.pause)

    def finish(self) -> list[tuple[float, float, int]]:
        self.stopping.set()
        self.thread.join(timeout=15)
        return list(self.samples)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.99 for p99); infinity when there are no values."""
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


@dataclass(frozen=True)
class Probe:
    name: str
    limit: int
    sent: int
    statuses: Counter

    @property
    def refused(self) -> int:
        return self.statuses.get(429, 0)


def probe_limit(*, name: str, limit: int, address: str, request: tuple[str, str, str]) -> Probe:
    """Send one client's burst of `PROCESSES * 2 * limit + 20` requests on one connection; count the answers."""
    method, path, body = request
    sent = PROCESSES * 2 * limit + 20
    headers = {"Content-Type": "text/plain", "User-Agent": CHROME, "X-Forwarded-For": address}
    statuses: Counter = Counter()
    connection = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)
    for number in range(sent):
        status, connection = exchange(
            connection, method, path, body=body.replace("{n}", str(number)) or None, headers=headers
        )
        statuses[status] += 1
    connection.close()
    return Probe(name=name, limit=limit, sent=sent, statuses=statuses)


class FaultWatch:
    """Around one fault: a reader of the cached stats from the start, and from the fault's start a probe of each rate
    limit and the size of the logs; `judge` prints what each shows, PASS or FAIL."""

    probes_started = 0

    def __init__(self, stack: PipelineStack, *, token: str, name: str) -> None:
        self.stack = stack
        self.token = token
        self.name = name
        self.reader = Reader(token)
        self.began: float | None = None
        self.ended: float | None = None
        self.log_sizes: dict[Path, int] = {}
        self.probes: list[Probe] = []
        self.probe_thread: threading.Thread | None = None

    def logs(self) -> list[Path]:
        return [self.stack.log_path, self.stack.directory / "worker.log"]

    def fault_began(self) -> None:
        self.began = self.reader.now()
        self.log_sizes = {path: path.stat().st_size if path.exists() else 0 for path in self.logs()}
        FaultWatch.probes_started += 1
        address = f"203.0.113.{FaultWatch.probes_started}"
        event = json.dumps({"domain": DOMAIN, "url": f"https://{DOMAIN}/probe-{self.name}/{{n}}", "referrer": ""})
        requests = [
            ("events", EVENT_RATE_LIMIT, ("POST", "/api/event", event)),
            ("public stats", STATS_RATE_LIMIT, ("GET", stats_path(self.token), "")),
        ]

        def probe_all() -> None:
            for name, limit, request in requests:
                self.probes.append(probe_limit(name=name, limit=limit, address=address, request=request))

        self.probe_thread = threading.Thread(target=probe_all, daemon=True)
        self.probe_thread.start()

    def fault_ended(self) -> None:
        self.ended = self.reader.now()

    def grown_lines(self) -> tuple[int, int, Counter]:
        """(access lines, INFO lines, the other lines by text without their time) added since the fault began."""
        access, info, others = 0, 0, Counter()
        for path, start in self.log_sizes.items():
            with path.open("rb") as log:
                log.seek(start)
                for line in log.read().decode(errors="replace").splitlines():
                    if ACCESS_LINE.match(line):
                        access += 1
                    elif INFO_LINE.match(line):
                        info += 1
                    else:
                        others[re.sub(r"^\S+ \S+ ", "", line)[:160]] += 1
        return access, info, others

    def judge(self) -> bool:
        if self.probe_thread is not None:
            self.probe_thread.join(timeout=120)
        samples = self.reader.finish()
        during = [(ms, status) for moment, ms, status in samples if self.began <= moment <= self.ended]
        statuses = Counter(status for _, status in during)
        resent = sum(1 for moment in self.reader.resent if self.began <= moment <= self.ended)
        p99 = percentile([ms for ms, _ in during], 0.99)
        answered = ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(statuses.items()))
        passed = verdict(
            bool(during) and set(statuses) == {200} and p99 < READ_P99_MS,
            f"cached reads of the public stats during the fault answered 200 with p99 < {READ_P99_MS} ms",
            f"{len(during):,} reads from {self.began:.1f} s to {self.ended:.1f} s, "
            f"{answered}; "
            f"p50 {percentile([ms for ms, _ in during], 0.5):.1f} ms, p99 {p99:.1f} ms, "
            f"max {max((ms for ms, _ in during), default=0):.1f} ms; "
            f"{resent} cut without an answer and sent again once",
        )
        for probe in self.probes:
            bound = probe.sent - PROCESSES * 2 * probe.limit
            answers = ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(probe.statuses.items()))
            passed &= verdict(
                probe.refused >= bound,
                f"the {probe.name} rate limit ({probe.limit}/min) refused a burst during the fault",
                f"{probe.sent} sent from one address: {answers} (at least {bound} refusals required)",
            )
        if len(self.probes) < 2:
            passed &= verdict(False, "both rate-limit probes finished", f"{len(self.probes)} of 2")
        access, info, texts = self.grown_lines()
        other = sum(texts.values())
        passed &= verdict(
            other <= LOG_LINES_BOUND,
            f"the logs grew by at most {LOG_LINES_BOUND} warning, error and traceback lines",
            f"{other} lines ({len(texts)} distinct); besides them {info:,} INFO lines, {access:,} access lines",
        )
        for text, count in texts.most_common(4):
            print(f"        {count:>5} x {text}")
        return passed
