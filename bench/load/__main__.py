"""A realistic load on Glimpse for a bounded time; req/s, p50/p99 per kind of request, and unexpected statuses.

    .venv/bin/python -m bench.load                          # nginx + gunicorn on a database of its own, 30 s
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 --token glimpse_… --domain example.com

By default it creates a PostgreSQL database (`--database-name`, default glimpse_load_<pid>)
on the server of `--postgres` (the shared one on 127.0.0.1:5432), seeds it with the demo
commands, starts gunicorn (the Procfile's web command, 2 workers of 4 threads) behind nginx
(deploy/nginx) on 127.0.0.1, sends the mix from `--connections` threads, and drops the
database again. It drops only a database it created. Redis is `--redis-url` (default
db 4 on 127.0.0.1:6379), emptied first because the fresh database reuses ids.

The mix (see bench/load/traffic.py): cached /api/public/stats hits, share pages, events
(`POST /api/event` with realistic JSON and user agents, bots included), static files,
bad and missing tokens, and uncached periods (small "cold" sites, one cache miss per
site and period, paced over the run). The public API's rate limit is raised out of the
way (every request comes from 127.0.0.1), so a 429 counts as unexpected.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.load import dataset, servers, traffic

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"


def app_environment(*, database_url: str, redis_url: str, behind_nginx: bool) -> dict[str, str]:
    """The app's environment for a bench server: production-like, with the rate limit out of reach."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "NUM_PROXIES": "1" if behind_nginx else "0",
        "PUBLIC_STATS_RATE": "1000000/min",
        "EVENT_RATE": "",  # every simulated client shares 127.0.0.1
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def flush_redis(redis_url: str) -> None:
    parts = urlsplit(redis_url)
    database = parts.path.strip("/") or "0"
    subprocess.run(
        ["redis-cli", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379), "-n", database, "FLUSHDB"],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long to send load (default 30)")
    parser.add_argument("--connections", type=int, default=8, help="client threads, one connection each (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="drive a server already running on 127.0.0.1 instead of starting one")
    parser.add_argument("--token", help="with --url: an active share token of that server")
    parser.add_argument("--domain", default=dataset.DEMO_DOMAIN, help="with --url: a registered site for events")
    parser.add_argument("--cold-token", action="append", default=[], help="with --url: tokens for uncached periods")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help=f"server to create the database on ({DEFAULT_POSTGRES})"
    )
    parser.add_argument("--database-name", default=dataset.default_database_name())
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--port", type=int, default=8150, help="where nginx listens (gunicorn: the next port)")
    parser.add_argument("--no-nginx", action="store_true", help="load gunicorn directly")
    parser.add_argument("--days", type=int, default=90, help="days of demo traffic (default 90)")
    parser.add_argument("--visitors-per-day", type=int, default=1000)
    parser.add_argument("--cold-sites", type=int, default=6, help="sites whose periods are each asked once (default 6)")
    options = parser.parse_args()

    if options.url:
        parts = urlsplit(options.url)
        if parts.hostname != "127.0.0.1" or not options.token:
            sys.exit("--url must be http://127.0.0.1:<port> and needs --token")
        target = traffic.Target(parts.port or 80, options.token, options.domain, tuple(options.cold_token))
        load(target=target, options=options, where=options.url)
        return

    database_url = f"{options.postgres.rstrip('/')}/{options.database_name}"
    dataset.create_database(server_url=f"{options.postgres.rstrip('/')}/postgres", name=options.database_name)
    nginx = gunicorn = None
    try:
        behind_nginx = not options.no_nginx
        environment = app_environment(database_url=database_url, redis_url=options.redis_url, behind_nginx=behind_nginx)
        flush_redis(options.redis_url)
        seeded = dataset.seed(
            environment=environment,
            days=options.days,
            visitors_per_day=options.visitors_per_day,
            cold_sites=options.cold_sites,
        )
        with tempfile.TemporaryDirectory(prefix="glimpse-load-") as directory:
            prefix = Path(directory)
            gunicorn_port = options.port + 1 if behind_nginx else options.port
            gunicorn = servers.start_gunicorn(
                port=gunicorn_port, environment=environment, log_path=prefix / "gunicorn.log"
            )
            if behind_nginx:
                nginx = servers.start_nginx(prefix=prefix, port=options.port, upstream_port=gunicorn_port)
            target = traffic.Target(options.port, seeded.token, seeded.domain, seeded.cold_tokens)
            where = "nginx + gunicorn" if behind_nginx else "gunicorn alone"
            load(target=target, options=options, where=f"{where} (2 x 4 threads), PostgreSQL {options.database_name}")
            servers.stop(nginx)
            servers.stop(gunicorn)
            errors = [
                line
                for line in (prefix / "gunicorn.log").read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            print(f"\ngunicorn log: {len(errors)} error lines" + "".join(f"\n  {line}" for line in errors[:10]))
    finally:
        servers.stop(nginx)
        servers.stop(gunicorn)
        if options.keep_database:
            print(f"Kept database {options.database_name}")
        else:
            dataset.drop_database(server_url=f"{options.postgres.rstrip('/')}/postgres", name=options.database_name)


def load(*, target: traffic.Target, options: argparse.Namespace, where: str) -> None:
    # One request per hot period first: the load measures cached hits, as a busy share link sees them.
    hot = traffic.Target(target.port, target.token, target.domain)
    traffic.run(target=hot, seconds=2, connections=1, kinds={"api cached": 1}, max_requests=20)
    print(f"\nLoad: {options.connections} connections for {options.seconds:g} s against {where}")
    started = time.monotonic()
    outcomes = traffic.run(
        target=target,
        seconds=options.seconds,
        connections=options.connections,
        max_requests=options.max_requests,
        seed=options.seed,
    )
    elapsed = time.monotonic() - started
    summaries = traffic.summarise(outcomes, seconds=elapsed)
    traffic.print_summaries(summaries)
    unexpected = [outcome for outcome in outcomes if outcome.detail]
    for outcome in unexpected[:10]:
        print(f"    {outcome.started:6.2f}s {outcome.kind}: {outcome.status} {outcome.detail[:200]}")
    print(f"\nUnexpected statuses: {len(unexpected)} ({'PASS' if not unexpected else 'FAIL'}: must be zero)")
    if unexpected:
        sys.exit(1)


if __name__ == "__main__":
    main()
