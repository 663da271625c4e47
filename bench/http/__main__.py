"""Cached throughput of /api/public/stats against a constant DRF view, with gunicorn and wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/glimpse_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m bench.http

Starts gunicorn (the Procfile's: 2 workers of 4 threads) on 127.0.0.1, loads it with `wrk` (Debian package)
for a bounded time, and prints requests per second and p50/p99 latency for:
  (a) a cached /api/public/stats hit (token checked in the database, stats bytes from the
      cache, usage counted), throttle off (PUBLIC_STATS_RATE empty);
  (b) a DRF APIView in the same process rendering a constant dict of the same size
      (bench-only URLconf `bench.http.urls`);
  (c) (a) again with the default throttle on, at a rate it never reaches, to show its cost.
It runs several rounds, (a) and (b) taking turns to go first, and reports medians.
wrk shares the machine's cores with the server, so the figures are conservative.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import django

from bench.load.servers import bench_secret_key

ROOT = Path(__file__).resolve().parents[2]
PORT = 8141
BIND = f"127.0.0.1:{PORT}"


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def run_wrk(url: str, *, connections: int, seconds: int) -> Load:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", output)
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)),
        p99_ms=milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)),
        errors=errors.group(0) if errors else "",
    )


def per_call_ms(function: Callable[[], object], *, calls: int = 300) -> float:
    function()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def start_gunicorn(environment: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers=2",
            "--worker-class=sync",
            f"--bind={BIND}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/constant", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("gunicorn did not come up")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def measure(urls: list[str], *, environment: dict[str, str], connections: int, seconds: int) -> list[Load]:
    """Load each URL in turn on one gunicorn, each after a 3 s warm-up."""
    server = start_gunicorn(environment)
    try:
        loads = []
        for url in urls:
            run_wrk(url, connections=connections, seconds=3)
            loads.append(run_wrk(url, connections=connections, seconds=seconds))
        return loads
    finally:
        stop(server)


def median_load(loads: list[Load]) -> Load:
    return Load(
        requests_per_second=statistics.median(load.requests_per_second for load in loads),
        p50_ms=statistics.median(load.p50_ms for load in loads),
        p99_ms=statistics.median(load.p99_ms for load in loads),
        errors=" ".join(load.errors for load in loads if load.errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="bench.example")
    parser.add_argument("--period", default="30d")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a), (b), (c); medians reported (default 3)")
    options = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.http.settings"
    os.environ["PUBLIC_STATS_RATE"] = ""
    body_file = ROOT / "var" / "bench" / "http-constant-body.json"
    os.environ["BENCH_BODY_FILE"] = str(body_file)
    body_file.parent.mkdir(parents=True, exist_ok=True)
    body_file.write_text("{}")
    os.environ["SECRET_KEY"] = bench_secret_key()  # in this process and in gunicorn's
    django.setup()

    from bench.generate import refuse_shared_databases

    refuse_shared_databases()

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from analytics.counting.rebuild import rebuild_site_rollups
    from analytics.models import DailyRollup, Site
    from analytics.periods import Period
    from sharing.selectors import find_active_token
    from sharing.services import create_share_token
    from sharing.stats_cache import cached_stats
    from sharing.usage import record_token_use

    if settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_stats"] is not None:
        sys.exit("PUBLIC_STATS_RATE= should switch the throttle off")
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        print("Note: REDIS_URL is not set, so each gunicorn worker has its own in-process cache.")
    site = Site.objects.get(domain=options.domain)
    if not DailyRollup.objects.filter(site=site).exists():
        rebuild_site_rollups(site=site, now=timezone.now())
    token = create_share_token(site=site, now=timezone.now(), label="bench.http").raw_token
    api = f"/api/public/stats?token={token}&period={options.period}"
    response = Client().get(api)
    if response.status_code != 200:
        sys.exit(f"{api} answered {response.status_code}: {response.content[:200]!r}")
    body_file.write_bytes(response.content)
    print(f"{options.period} response: {len(response.content):,} bytes; gunicorn 2 workers on 127.0.0.1:{PORT}")

    print("\nIn-process cost per call (median of 300, ms): where a cached hit spends its time")
    share_token = find_active_token(token, now=timezone.now())
    client = Client()
    steps = {
        "whole request, (a) cached stats": lambda: client.get(api),
        "whole request, (b) constant view": lambda: client.get("/bench/constant"),
        "token lookup (find_active_token)": lambda: find_active_token(token, now=timezone.now()),
        "usage count (record_token_use)": lambda: record_token_use(share_token, now=timezone.now()),
        "stats from the cache (cached_stats)": lambda: cached_stats(
            site=share_token.site, period=Period(options.period), now=timezone.now()
        ),
    }
    for name, step in steps.items():
        print(f"  {name:<38}{per_call_ms(step):>7.2f}")

    environment = {**os.environ}
    throttled = {**environment, "PUBLIC_STATS_RATE": "100000000/min"}
    base = f"http://127.0.0.1:{PORT}"
    cached_url, constant_url = base + api, base + "/bench/constant"
    load = {"connections": options.connections, "seconds": options.seconds}
    cached: list[Load] = []
    constant: list[Load] = []
    throttle: list[Load] = []
    for round_number in range(options.rounds):
        # (a) and (b) alternate which goes first, so a drift in the machine's load favours neither.
        if round_number % 2 == 0:
            a, b = measure([cached_url, constant_url], environment=environment, **load)
        else:
            b, a = measure([constant_url, cached_url], environment=environment, **load)
        (c,) = measure([cached_url], environment=throttled, **load)
        cached.append(a)
        constant.append(b)
        throttle.append(c)
        ratio = a.requests_per_second / b.requests_per_second
        print(
            f"  round {round_number + 1}: (a) {a.requests_per_second:,.0f}  (b) {b.requests_per_second:,.0f}  "
            f"(c) {c.requests_per_second:,.0f} req/s; (a) / (b) = {ratio:.0%}"
        )

    runs = {
        "(a) /api/public/stats, cached": median_load(cached),
        "(b) DRF constant view": median_load(constant),
        "(c) (a) with the throttle on": median_load(throttle),
    }
    print(
        f"\nwrk -t2 -c{options.connections} -d{options.seconds}s --latency after a 3 s warm-up; "
        f"medians of {options.rounds} rounds"
    )
    print(f"  {'':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, median in runs.items():
        figures = f"{median.requests_per_second:>9,.0f}{median.p50_ms:>9.2f}{median.p99_ms:>9.2f}"
        print(f"  {name:<34}{figures}  {median.errors}")
    ratios = [a.requests_per_second / b.requests_per_second for a, b in zip(cached, constant, strict=True)]
    throttled_ratios = [c.requests_per_second / b.requests_per_second for c, b in zip(throttle, constant, strict=True)]
    print(f"\n  (a) / (b) = {statistics.median(ratios):.0%} (rounds: {', '.join(f'{r:.0%}' for r in ratios)})")
    print(
        f"  (c) / (b) = {statistics.median(throttled_ratios):.0%} "
        f"(rounds: {', '.join(f'{r:.0%}' for r in throttled_ratios)})"
    )


if __name__ == "__main__":
    main()
