"""Time one `POST /api/event` with friendly and with worst-case input, in this process (Django's test client).

    .venv/bin/python bench/ingest_hostile.py [--runs 9]

A fresh SQLite file in a temporary directory gets migrated and one site (example.com).
Each case is posted once untimed, then `--runs` times; the figures are the medians of
this process's CPU time (steady on a shared machine) and of wall time, for a whole
request: middleware, view, and the database writes of an accepted event.
Cases slower than `--budget-ms` in total stop repeating early. The rate limit is on but
set far above what the bench sends, so its cache round trip is part of every figure.
Run it from the repository root; the same file runs against an older checkout to compare.
"""

import argparse
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
FRIENDLY = {
    "domain": "example.com",
    "url": "https://example.com/pricing?plan=pro",
    "referrer": "https://www.google.com/",
}


def filled(field: str, piece: str) -> dict:
    """The friendly event with `field` a URL on example.com repeating `piece` until the body is 4,096 bytes."""
    start = "https://example.com/"
    room = 4096 - len(json.dumps({**FRIENDLY, field: start}))
    return {**FRIENDLY, field: start + (piece * (room // len(piece) + 1))[:room]}


def letters(length: int):
    """A user agent of `length` letters and digits, different on every request as an attacker's would be.

    crawlerdetect caches its verdict per user agent, so repeating one would time the cache.
    """
    return lambda run: (str(run) + "a" * length)[:length]


def cases() -> list[tuple[str, dict, dict]]:
    """(name, JSON body, request environ); a callable environ value gets the run number. Every body is valid."""
    padded_chrome = lambda run: f"{CHROME} {run} ".ljust(512, "a")  # noqa: E731
    return [
        ("friendly: Chrome, short URL", FRIENDLY, {}),
        ("user agent: 512 letters (bound)", FRIENDLY, {"HTTP_USER_AGENT": letters(512)}),
        ("user agent: Chrome padded to 512", FRIENDLY, {"HTTP_USER_AGENT": padded_chrome}),
        ("user agent: 1 KB of letters", FRIENDLY, {"HTTP_USER_AGENT": letters(1024)}),
        ("user agent: 4 KB of letters", FRIENDLY, {"HTTP_USER_AGENT": letters(4096)}),
        ("user agent: 8 KB of letters", FRIENDLY, {"HTTP_USER_AGENT": letters(8192)}),
        ("X-Forwarded-For: 8 KB", FRIENDLY, {"HTTP_X_FORWARDED_FOR": "1.2.3.4," * 1024}),
        ("url: 4 KB of %41 escapes", filled("url", "%41"), {}),
        ("url: 4 KB of %ff escapes", filled("url", "%ff"), {}),
        ("url: 4 KB query of utm_source", filled("url", "?utm_source=x&"), {}),
        ("referrer: 4 KB", filled("referrer", "r"), {}),
    ]


def medians_ms(post, *, runs: int, budget_ms: float) -> tuple[float, float, int]:
    """Median CPU time of this process and median wall time, in ms, and the number of timed runs."""
    post()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(runs):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        post()
        cpu.append((time.process_time() - cpu_start) * 1000)
        wall.append((time.perf_counter() - wall_start) * 1000)
        if sum(wall) > budget_ms:
            break
    return statistics.median(cpu), statistics.median(wall), len(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--budget-ms", type=float, default=20_000, help="stop repeating a case after this much")
    options = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="glimpse-bench-hostile-")
    try:
        run(scratch=scratch, options=options)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(*, scratch: str, options: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ["EVENT_RATE"] = "1000000/min"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(Path.cwd()))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from analytics.models import Pageview, Site

    setup_test_environment()
    settings.NUM_PROXIES = 1
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create(username="bench")
    Site.objects.create(owner=owner, domain="example.com")
    client = Client(raise_request_exception=False)

    print(f"code: {Path.cwd()}  runs: {options.runs}  database: SQLite in {scratch}")
    print(f"{'case':<36} {'CPU ms':>8} {'wall ms':>8} {'runs':>5}  status")
    for name, body, extra in cases():
        data = json.dumps(body)
        assert len(data) <= 4096, name
        environ = {"HTTP_USER_AGENT": CHROME, "REMOTE_ADDR": "81.2.69.142", **extra}
        statuses: set[int] = set()
        runs = itertools.count()

        def post(data=data, environ=environ, statuses=statuses, runs=runs) -> None:
            run = next(runs)
            headers = {key: value(run) if callable(value) else value for key, value in environ.items()}
            statuses.add(client.post("/api/event", data=data, content_type="text/plain", **headers).status_code)

        cpu, wall, runs = medians_ms(post, runs=options.runs, budget_ms=options.budget_ms)
        print(f"{name:<36} {cpu:>8.2f} {wall:>8.2f} {runs:>5}  {','.join(map(str, sorted(statuses)))}")
    print(f"pageviews recorded: {Pageview.objects.count()}")


if __name__ == "__main__":
    main()
