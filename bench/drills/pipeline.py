"""The ingestion pipeline's own drill world: private Redis (appendonly) and PostgreSQL, gunicorn, ingest workers,
and a sender whose every event carries a marker path, so each accepted event can be counted in the database.

Nothing touches the shared PostgreSQL (5432) or Redis (6379): the private ones live in
a temporary directory on ports 6397 and 5447 (as the other drills) and are removed at
the end. gunicorn runs the Procfile's web command (2 workers of 4 threads) on port 8183;
`EVENT_RATE` is empty so the per-IP limit never answers 429 to the load.
"""

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
    """Posts events from a few threads, each with a unique marker path; keeps each marker's status (0: no answer)."""

    def __init__(self, *, connections: int = 4, pause: float = 0.0, prefix: str = "m") -> None:
        self.prefix = prefix
        self.statuses: dict[str, int] = {}
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
        while not self.stopping.is_set():
            count += 1
            marker = f"/{self.prefix}/{number}/{count}"
            body = json.dumps({"domain": DOMAIN, "url": f"https://{DOMAIN}{marker}", "referrer": ""})
            address = f"198.51.{number}.{count % 250 + 1}"
            headers = {"Content-Type": "text/plain", "User-Agent": CHROME, "X-Forwarded-For": address}
            try:
                connection.request("POST", "/api/event", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT, timeout=10)
            with self.lock:
                self.statuses[marker] = status
            if self.pause:
                time.sleep(self.pause)

    def finish(self) -> dict[str, int]:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=15)
        return dict(self.statuses)

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - self.now()))


@dataclass(frozen=True)
class Tally:
    accepted: int
    other: Counter
    lost: list[str]
    doubled: list[str]
    unaccepted_stored: int

    @property
    def exactly_once(self) -> bool:
        return self.accepted > 0 and not self.lost and not self.doubled


def tally(statuses: dict[str, int], stored: Counter) -> Tally:
    accepted = [marker for marker, status in statuses.items() if status == 202]
    return Tally(
        accepted=len(accepted),
        other=Counter(status for status in statuses.values() if status != 202),
        lost=[marker for marker in accepted if stored.get(marker, 0) == 0],
        doubled=[marker for marker, count in stored.items() if count > 1],
        unaccepted_stored=sum(1 for marker, status in statuses.items() if status != 202 and stored.get(marker)),
    )


def print_tally(result: Tally, stored: Counter) -> None:
    others = ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(result.other.items()))
    print(
        f"  {result.accepted:,} events accepted (202){'; other answers ' + others if others else ''}; "
        f"{sum(stored.values()):,} pageviews stored for {len(stored):,} markers"
    )
    if result.unaccepted_stored:
        print(f"  info  {result.unaccepted_stored} events not answered 202 were stored anyway (at-least-once side)")


def verdict(passed: bool, expectation: str, figures: str) -> bool:
    print(f"  {'PASS' if passed else 'FAIL'}  {expectation}: {figures}")
    return passed


def queue_warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if re.search(r"Event queue unreachable", line)]
