"""Accepted events per second through gunicorn (2 sync workers) on 127.0.0.1, on SQLite and PostgreSQL.

Run by hand from the repository root:  .venv/bin/python bench/ingest/run.py [--seconds 10] [--max-requests 50000]
Each database gets a fresh, migrated copy (a temporary SQLite file; a scratch PostgreSQL
database that is dropped afterwards), one site, and a warm-up before the measured run.
Uses wrk with event.lua when wrk is installed, otherwise (or with --client python) a Python thread-pool client.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
HOST, PORT = "127.0.0.1", 8130
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
POSTGRES_DB = "glimpse_bench_ingest"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def stored_pageviews(env: dict) -> int:
    code = "from analytics.models import Pageview; print(Pageview.objects.count())"
    return int(manage(env, "shell", "--no-imports", "-c", code).strip())


@contextmanager
def sqlite_database():
    folder = tempfile.mkdtemp(prefix="glimpse-bench-ingest-")
    try:
        yield f"sqlite:///{folder}/bench.sqlite3"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database():
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DB}")
        admin.execute(f"CREATE DATABASE {POSTGRES_DB}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{POSTGRES_DB}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")


@contextmanager
def gunicorn(env: dict):
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi", "--workers", "2", "--worker-class", "sync", "--bind", f"{HOST}:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection(HOST, PORT, timeout=1)
                connection.request("GET", "/js/script.js")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def run_wrk(*, seconds: int, connections: int, max_requests: int) -> dict:
    env = {**os.environ, "BENCH_MAX_REQUESTS_PER_THREAD": str(max_requests // 2)}
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / "event.lua"),
            f"http://{HOST}:{PORT}/api/event",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total, elapsed, unit = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", output).groups()
    elapsed_s = float(elapsed) * {"ms": 0.001, "s": 1, "m": 60}[unit]
    rejected = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    return {
        "requests": int(total),
        "rejected": int(rejected.group(1)) if rejected else 0,
        "seconds": elapsed_s,
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
    }


def run_python_client(*, seconds: int, connections: int, max_requests: int) -> dict:
    """Fallback without wrk: keep-alive connections from a thread pool, bounded by count and time."""
    deadline = time.monotonic() + seconds
    per_worker = max_requests // connections

    def worker(_: int) -> tuple[int, int, list[float]]:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=10)
        sent = accepted = 0
        timings = []
        while sent < per_worker and time.monotonic() < deadline:
            body = json.dumps({"domain": "example.com", "url": "https://example.com/", "width": 1280})
            ip = f"81.2.{random.randrange(16)}.{random.randrange(1, 255)}"
            started = time.perf_counter()
            connection.request(
                "POST",
                "/api/event",
                body=body,
                headers={"Content-Type": "text/plain", "User-Agent": CHROME, "X-Forwarded-For": ip},
            )
            response = connection.getresponse()
            response.read()
            timings.append(time.perf_counter() - started)
            sent += 1
            accepted += response.status == 202
        return sent, accepted, timings

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(worker, range(connections)))
    elapsed = time.monotonic() - started
    timings = sorted(t for _, _, ts in results for t in ts)
    sent = sum(r[0] for r in results)
    return {
        "requests": sent,
        "rejected": sent - sum(r[1] for r in results),
        "seconds": elapsed,
        "p50": f"{timings[len(timings) // 2] * 1000:.1f}ms",
        "p99": f"{timings[int(len(timings) * 0.99)] * 1000:.1f}ms",
    }


def bench(name: str, database_url: str, args: argparse.Namespace) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "NUM_PROXIES": "1", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput")
    manage(
        env,
        "shell",
        "-c",
        (
            "from django.contrib.auth import get_user_model; from analytics.models import Site; "
            "owner, _ = get_user_model().objects.get_or_create(username='bench'); "
            "Site.objects.get_or_create(domain='example.com', defaults={'owner': owner})"
        ),
    )
    client = run_wrk if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")) else run_python_client
    with gunicorn(env):
        client(seconds=2, connections=args.connections, max_requests=2000)
        before = stored_pageviews(env)
        result = client(seconds=args.seconds, connections=args.connections, max_requests=args.max_requests)
        stored = stored_pageviews(env) - before
    accepted = result["requests"] - result["rejected"]
    if result["requests"] >= args.max_requests:
        print(f"{name}: hit --max-requests before --seconds; the rate below understates throughput", file=sys.stderr)
    print(
        f"{name:<10} {accepted / result['seconds']:8.0f} accepted events/s  "
        f"({accepted} accepted, {result['rejected']} rejected in {result['seconds']:.1f} s; "
        f"p50 {result['p50']}, p99 {result['p99']}; {stored} pageviews stored; client {client.__name__})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    for name in args.databases.split(","):
        with databases[name]() as url:
            bench(name, url, args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
