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
