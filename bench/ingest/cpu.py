"""In-process CPU time per accepted event: `config.wsgi.application` called directly, no server, no client.

    .venv/bin/python -m bench.ingest.cpu --redis-port 8152 --events 5000 --runs 5     # about a minute

The figure the HTTP bench (`python -m bench.ingest`) cannot give: what one accepted
`POST /api/event` costs the web process itself (WSGI application, middleware, view,
enrichment, the XADD), as `time.process_time` measures it, so the other processes on
the machine inflate it much less than a wall-clock rate. Beacons are the HTTP bench's
mix (`event.lua`): three user agents, a few paths and referrers, one address in four new.

It runs on a SQLite file in a temporary directory and a private Redis without
persistence on `--redis-port` (both removed at the end), with the queue on and the
per-client rate limit off, as the HTTP bench; `--limits` keeps `EVENT_RATE` and
`NEW_VISITORS_PER_NETWORK` at their production defaults, so each event is counted against
both, as in production. `--profile` prints cProfile's top functions for one more run, by
cumulative time (`BENCH_SORT=tottime`: by own time).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.drills.stack import PrivateRedis, port_in_use
from bench.ingest.__main__ import CHROME, app_environment

AGENTS = [
    CHROME,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
]
PATHS = ["/", "/pricing", "/blog", "/docs", "/about", "/blog/privacy-first-analytics", "/contact"]
REFERRERS = ["", "", "https://www.google.com/", "https://news.ycombinator.com/", "https://duckduckgo.com/"]
WIDTHS = [390, 820, 1280, 1440, 1920]


def beacon_environ(rng: random.Random) -> dict:
    if rng.randrange(4) == 0:
        ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    else:
        ip = f"81.2.{rng.randint(0, 15)}.{rng.randint(1, 254)}"
    body = (
        f'{{"domain":"example.com","url":"https://example.com{rng.choice(PATHS)}",'
        f'"referrer":"{rng.choice(REFERRERS)}","width":{rng.choice(WIDTHS)}}}'
    ).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/event",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": ip,
        "HTTP_USER_AGENT": rng.choice(AGENTS),
        "CONTENT_TYPE": "text/plain;charset=UTF-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def run(application, environs: list[dict]) -> float:
    """Microseconds of this process's CPU per event; every answer must be an empty 202."""
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    started = time.process_time()
    for environ in environs:
        b"".join(application(environ, start_response))
    elapsed = time.process_time() - started
    if any(not status.startswith("202") for status in statuses):
        sys.exit(f"Not every event was accepted: {sorted(set(statuses))}")
    return elapsed / len(environs) * 1e6


def create_site() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from analytics.models import Site

    call_command("migrate", "--noinput", verbosity=0)
    owner = get_user_model().objects.create(username="bench")
    Site.objects.create(domain="example.com", owner=owner, timezone="UTC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-port", type=int, default=6397, help="the private Redis on 127.0.0.1")
    parser.add_argument("--events", type=int, default=5000, help="per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions for one more run")
    parser.add_argument("--limits", action="store_true", help="the production event limits on (default: rate off)")
    options = parser.parse_args()
    if port_in_use(options.redis_port):
        sys.exit(f"Port {options.redis_port} is already in use on 127.0.0.1")
    directory = Path(tempfile.mkdtemp(prefix="glimpse-bench-ingest-cpu-"))
    redis = PrivateRedis(directory=directory, aof=False, port=options.redis_port)
    try:
        redis.start()
        os.environ.update(
            app_environment(
                database_url=f"sqlite:///{directory / 'bench.sqlite3'}",
                redis_port=options.redis_port,
                spool_directory=directory / "spool",
            )
        )
        if options.limits:
            for name in ("EVENT_RATE", "NEW_VISITORS_PER_NETWORK"):
                os.environ.pop(name, None)
        from config.wsgi import application  # sets Django up, so it comes before `create_site`

        create_site()
        rng = random.Random(1)
        run(application, [beacon_environ(rng) for _ in range(500)])  # warm-up: caches, salt, connections
        figures = [run(application, [beacon_environ(rng) for _ in range(options.events)]) for _ in range(options.runs)]
        limits = "production event limits on" if options.limits else "no per-client rate limit"
        print(f"In-process CPU per accepted event, {options.runs} runs of {options.events:,} events ({limits})")
        print(f"  median {statistics.median(figures):,.0f} µs   runs: {', '.join(f'{f:,.0f}' for f in figures)}")
        print(f"  = at most {1e6 / statistics.median(figures):,.0f} events/s per fully busy core")
        if options.profile:
            environs = [beacon_environ(rng) for _ in range(options.events)]
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            run(application, environs)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
            print(out.getvalue())
    finally:
        if port_in_use(options.redis_port):
            redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
