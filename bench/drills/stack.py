"""The drills' own world: a private Redis and PostgreSQL cluster, and nginx + gunicorn on them.

Their ports (defaults: Redis 6397, PostgreSQL 5447, nginx 8180, gunicorn 8181, the
pipeline drills' gunicorn 8183) come from `DRILL_REDIS_PORT`, `DRILL_POSTGRES_PORT`,
`DRILL_NGINX_PORT`, `DRILL_GUNICORN_PORT` and `DRILL_PIPELINE_PORT`, so drills of two
checkouts can run on one machine side by side.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379): the private ones live
in a temporary directory, are stopped by their own pid file or data directory, and are
removed at the end. PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` system user.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import dataset, servers, traffic

REDIS_PORT = int(os.environ.get("DRILL_REDIS_PORT", "6397"))
POSTGRES_PORT = int(os.environ.get("DRILL_POSTGRES_PORT", "5447"))
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
NGINX_PORT = int(os.environ.get("DRILL_NGINX_PORT", "8180"))
GUNICORN_PORT = int(os.environ.get("DRILL_GUNICORN_PORT", "8181"))
DATABASE = "glimpse_drill"


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class PrivateRedis:
    """redis-server on 127.0.0.1 without RDB snapshots; `aof` adds the append-only file production should have."""

    def __init__(self, *, directory: Path, aof: bool, port: int = REDIS_PORT) -> None:
        self.directory = directory
        self.aof = aof
        self.port = port

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "yes"]
        command += ["--dir", str(self.directory), "--pidfile", str(self.directory / "redis.pid")]
        command += ["--logfile", str(self.directory / "redis.log"), "--appendonly", "yes" if self.aof else "no"]
        subprocess.run(command, check=True, capture_output=True)
        self.wait(up=True)

    def stop(self) -> None:
        """A clean stop (SHUTDOWN): with the append-only file on, every write acknowledged so far is on disk."""
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, check=False)
        self.wait(up=False)

    def wait(self, *, up: bool) -> None:
        for _ in range(100):
            if port_in_use(self.port) == up:
                return
            time.sleep(0.05)
        sys.exit(f"Private Redis on {self.port} did not {'start' if up else 'stop'}")

    def command(self, *words: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *words], capture_output=True, text=True)
        return done.stdout.strip()

    def pending_uses(self) -> int:
        """The sum of the pending use counters in Redis: what a restart without persistence would lose."""
        keys = [key for key in self.command("--scan", "--pattern", "*share-usage*pending*").splitlines() if key]
        values = self.command("mget", *keys).splitlines() if keys else []
        return sum(int(value) for value in values if value.lstrip("-").isdigit())


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster in `directory`, on 127.0.0.1 (`port`), trust authentication."""

    def __init__(self, *, directory: Path, port: int = POSTGRES_PORT) -> None:
        self.directory = directory
        self.port = port
        self.data = directory / "data"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def initialise(self) -> None:
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        initdb = [str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]
        subprocess.run([*self.as_postgres, *initdb], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        pg_ctl = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "postgres.log")]
        subprocess.run([*self.as_postgres, *pg_ctl, "-o", options, "-w", "start"], check=True, capture_output=True)

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, new ones refused."""
        pg_ctl = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
        subprocess.run([*self.as_postgres, *pg_ctl], check=False, capture_output=True)

    @property
    def server_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"


@dataclass
class Stack:
    directory: Path
    redis: PrivateRedis
    postgres: PrivatePostgres
    environment: dict[str, str]
    seeded: dataset.Seeded
    gunicorn: "subprocess.Popen | None" = None
    nginx: "subprocess.Popen | None" = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.directory / "gunicorn.log"

    @property
    def target(self) -> traffic.Target:
        return traffic.Target(NGINX_PORT, self.seeded.token, self.seeded.domain)

    def workers(self) -> list[int]:
        """The pids of gunicorn's worker processes, children of its master."""
        pid = self.gunicorn.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sorted(int(child) for child in children)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_lines(self, start: int, end: int | None = None) -> list[str]:
        with self.log_path.open("rb") as log:
            log.seek(start)
            data = log.read() if end is None else log.read(end - start)
        return data.decode(errors="replace").splitlines()

    def manage(self, *arguments: str) -> str:
        return dataset.manage(*arguments, environment=self.environment)

    def use_count(self) -> int:
        """Write pending uses to the database (as the per-minute cron does), then the demo token's use count."""
        self.manage("flush_token_usage")
        token = f"ShareToken.objects.get(site__domain={self.seeded.domain!r})"
        code = f"from sharing.models import ShareToken; print({token}.use_count)"
        return int(self.manage("shell", "-c", code).strip().splitlines()[-1])


@dataclass
class PrivateServices:
    directory: Path
    redis: PrivateRedis
    postgres: PrivatePostgres
    environment: dict[str, str]


@contextmanager
def private_services(
    *, prefix: str, database: str, aof: bool, ports: tuple[int, ...], settings: dict[str, str]
) -> Iterator[PrivateServices]:
    """A temporary directory with a private Redis and PostgreSQL cluster, a database of the drill's own, and the
    environment pointing the app at them (plus `settings`); everything is stopped and removed afterwards."""
    for port in (REDIS_PORT, POSTGRES_PORT, *ports):
        if port_in_use(port):
            sys.exit(f"Port {port} is already in use on 127.0.0.1: is another drill running?")
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)  # the postgres user and nginx's workers work below it
    redis = PrivateRedis(directory=directory / "redis", aof=aof)
    postgres = PrivatePostgres(directory=directory / "postgres")
    redis.directory.mkdir()
    postgres.directory.mkdir()
    try:
        redis.start()
        postgres.initialise()
        postgres.start()
        dataset.create_database(server_url=f"{postgres.server_url}/postgres", name=database)
        environment = {
            **os.environ,
            "DATABASE_URL": f"{postgres.server_url}/{database}",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "NUM_PROXIES": "1",
            "EVENT_RATE": "",  # every simulated client shares 127.0.0.1
            "NEW_VISITORS_PER_NETWORK": "",
            "EVENT_SPOOL_DIR": str(directory / "spool"),
            "DEBUG": "false",
            "SECRET_KEY": servers.bench_secret_key(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **settings,
        }
        yield PrivateServices(directory=directory, redis=redis, postgres=postgres, environment=environment)
    finally:
        postgres.stop()
        if port_in_use(REDIS_PORT):
            redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def private_stack(*, aof: bool = True) -> Iterator[Stack]:
    """Private Redis and PostgreSQL, a seeded database, gunicorn (Procfile's, 2 workers of 4 threads) behind nginx."""
    with private_services(
        prefix="glimpse-drill-",
        database=DATABASE,
        aof=aof,
        ports=(NGINX_PORT, GUNICORN_PORT),
        settings={"PUBLIC_STATS_RATE": "1000000/min"},
    ) as services:
        stack = None
        try:
            seeded = dataset.seed(environment=services.environment, days=30, visitors_per_day=200, cold_sites=0)
            stack = Stack(
                directory=services.directory,
                redis=services.redis,
                postgres=services.postgres,
                environment=services.environment,
                seeded=seeded,
            )
            stack.gunicorn = servers.start_gunicorn(
                port=GUNICORN_PORT, environment=stack.environment, log_path=stack.log_path
            )
            stack.nginx = servers.start_nginx(
                prefix=stack.directory / "nginx", port=NGINX_PORT, upstream_port=GUNICORN_PORT
            )
            yield stack
        finally:
            if stack is not None:
                servers.stop(stack.nginx)
                servers.stop(stack.gunicorn)


class Background:
    """The traffic mix sent from a thread while the drill does its damage; outcomes timed from `began`."""

    def __init__(self, stack: Stack, *, seconds: float, connections: int = 4, kinds: dict[str, int] | None = None):
        self.began = time.monotonic()
        self.outcomes: list[traffic.Outcome] = []
        arguments = {"target": stack.target, "seconds": seconds, "connections": connections, "kinds": kinds}
        self.thread = threading.Thread(
            target=lambda: self.outcomes.extend(traffic.run(**arguments, timeout=5, began=self.began)), daemon=True
        )
        self.thread.start()

    def now(self) -> float:
        return time.monotonic() - self.began

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - self.now()))

    def finish(self) -> list[traffic.Outcome]:
        self.thread.join()
        return self.outcomes


def print_log_lines(lines: list[str], *, shown: int = 12) -> None:
    """Log lines without their timestamps, each distinct one once with how often it came."""
    counts = Counter(re.sub(r"^\S+ \S+ ", "", line)[:200] for line in lines)
    for line, count in counts.most_common(shown):
        print(f"        {count:>5} x {line}")
    if len(counts) > shown:
        print(f"        … and {len(counts) - shown} other distinct lines")


def verdict(passed: bool, expectation: str, figures: str) -> bool:
    print(f"  {'PASS' if passed else 'FAIL'}  {expectation}: {figures}")
    return passed
