"""Use counts survive a Redis restart, and a worker killed without warning loses at most its last hand-over's worth.

Both run against whatever this suite runs on (SQLite and the in-process cache, or PostgreSQL and
Redis). The restart test starts a Redis of its own on port 6394, never the shared one.
"""

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from sharing.local_uses import HAND_OVER_EVERY
from sharing.models import ShareToken
from sharing.usage import flush_token_usage, record_token_use
from tests.factories import ShareTokenFactory
from tests.private_redis import PrivateRedis, running_private_redis

ROOT = Path(__file__).resolve().parents[2]
NOON = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)
WORKER_SECONDS = 3.5
WORKER_PAUSE_SECONDS = 0.005

# Records one use after another with the real clock and prints the time of each once it is recorded.
WORKER = """
import sys, time
import django
django.setup()
from django.utils import timezone
from sharing.models import ShareToken
from sharing.usage import record_token_use
share_token = ShareToken.objects.get(pk=int(sys.argv[1]))
while True:
    record_token_use(share_token, now=timezone.now())
    print(time.time(), flush=True)
    time.sleep(float(sys.argv[2]))
"""


def at(seconds: float) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


def stored(share_token: ShareToken) -> tuple[int, dt.datetime | None]:
    return tuple(ShareToken.objects.values_list("use_count", "last_used_at").get(pk=share_token.pk))


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    # Nothing is saved to disk: whatever lives only in this Redis is gone after a restart.
    yield from running_private_redis(directory=tmp_path, append_only=False)


def test_a_redis_restart_loses_no_use_counts(share_token, private_redis):
    with override_settings(CACHES=private_redis.caches):
        # Four hand-overs within one minute: the first is written at once, the other three (5 uses) follow.
        for second in (5, 5.5, 6.5, 7, 8.5, 9.6):
            record_token_use(share_token, now=at(second))
        private_redis.restart()
        for second in (30, 30.5, 61):
            record_token_use(share_token, now=at(second))
        flush_token_usage(now=at(100))

    assert stored(share_token) == (9, at(61))


def database_for_a_subprocess(tmp_path: Path) -> tuple[str, Callable[[int], int]]:
    """A DATABASE_URL another process can open holding this test's rows, and how to read a token's count from it.

    The SQLite test database lives in this process's memory, so it is copied to a file first.
    """
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])

        def use_count(token_id: int) -> int:
            with sqlite3.connect(path) as file:
                query = f"SELECT use_count FROM {ShareToken._meta.db_table} WHERE id = ?"
                return file.execute(query, [token_id]).fetchone()[0]

        return f"sqlite:///{path}", use_count
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    address = f"{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"

    def use_count(token_id: int) -> int:
        return ShareToken.objects.values_list("use_count", flat=True).get(pk=token_id)

    return f"postgres://{address}/{database['NAME']}", use_count


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_at_most_the_uses_since_its_last_hand_over(site, tmp_path):
    share_token = ShareTokenFactory(site=site)
    database_url, use_count = database_for_a_subprocess(tmp_path)
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(share_token.pk), str(WORKER_PAUSE_SECONDS)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    uses: list[float] = []
    try:
        while not uses or uses[-1] - uses[0] < WORKER_SECONDS:
            line = worker.stdout.readline()
            if not line:
                pytest.fail(f"the worker stopped on its own: {worker.stderr.read()[-2000:]}")
            uses.append(float(line))
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    uses += [float(line) for line in worker.stdout.read().split()]
    worker.stderr.close()

    counted = use_count(share_token.pk)
    # What a hand-over every second may leave behind: the uses of the worker's last two seconds, and one use
    # recorded but not yet printed when the signal came.
    latest = uses[-1] - 2 * HAND_OVER_EVERY.total_seconds()
    may_lose = sum(1 for moment in uses if moment >= latest)
    assert len(uses) - may_lose <= counted <= len(uses) + 1, (len(uses), may_lose, counted)
