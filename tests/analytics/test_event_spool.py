"""Events the queue's Redis cannot take wait in a bounded spool on local disk and reach the stream once it is back.

Each test runs a Redis of its own, stopped and started as the test needs; expected
numbers are counted by hand from the events sent.
"""

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from analytics.event_queue import FIELD, STREAM, queue_connection
from analytics.event_spool import event_spool, replay_orphan
from analytics.ingest_worker import drain_once, ensure_group
from analytics.models import Pageview
from analytics.queue_redis import queue_client
from tests.factories import SiteFactory
from tests.outages import private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(tmp_path) -> Iterator[PrivateRedis]:
    yield from private_queue(tmp_path)


@pytest.fixture
def site():
    return SiteFactory(domain="one.example")


def send(client, path: str = "/"):
    body = json.dumps({"domain": "one.example", "url": f"https://one.example{path}"})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT="Firefox/128.0")


def spool_files(queue: PrivateRedis) -> list:
    return sorted((queue.directory / "spool").glob("*.spool"))


def redis_goes_away(queue: PrivateRedis) -> None:
    queue.stop()
    queue_connection.forget()


def redis_comes_back(queue: PrivateRedis) -> None:
    queue.start()
    queue_connection.forget()


def wait_for_stream(length: int) -> int:
    deadline = time.monotonic() + 5
    while (queued := queue_client().xlen(STREAM)) < length and time.monotonic() < deadline:
        time.sleep(0.02)
    return queued


def test_spooled_events_are_replayed_when_redis_returns_and_written_once(client, queue, site):
    redis_goes_away(queue)
    assert {send(client, f"/{number}").status_code for number in range(5)} == {202}
    redis_comes_back(queue)

    assert send(client, "/back").status_code == 202  # the stream takes it, and the spool follows it in
    queued = wait_for_stream(6)
    ensure_group(queue_client())
    result = drain_once(queue_client(), consumer="worker-a", block_ms=1)

    assert queued == 6
    assert (result.taken, result.written) == (6, 6)
    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/0", "/1", "/2", "/3", "/4", "/back"]
    assert spool_files(queue)[0].stat().st_size == 0


def test_a_spool_replayed_twice_is_written_once(client, queue, site, tmp_path):
    redis_goes_away(queue)
    for number in range(3):
        send(client, f"/{number}")
    (spool,) = spool_files(queue)
    kept = tmp_path / "kept"
    shutil.copy(spool, kept)  # as if the process died after its replay's XADDs but before truncating
    redis_comes_back(queue)
    ensure_group(queue_client())

    assert event_spool.replay(queue_client(), stream=STREAM, field=FIELD) == 3
    shutil.copy(kept, queue.directory / "spool" / "dead-worker.spool")
    assert event_spool.replay(queue_client(), stream=STREAM, field=FIELD) == 3
    result = drain_once(queue_client(), consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (6, 3)
    assert Pageview.objects.count() == 3
    assert Pageview.objects.filter(event_id__startswith="q:").count() == 3


def test_a_full_spool_refuses_with_503_and_retry_after(client, queue, site):
    redis_goes_away(queue)

    with override_settings(EVENT_SPOOL_MAX_BYTES=350):  # room for two entries of 125 to 150 bytes
        responses = [send(client, f"/{number}") for number in range(3)]

    assert [response.status_code for response in responses] == [202, 202, 503]
    assert responses[2]["Retry-After"] == "10"
    assert responses[2].json() == {"error": "Events cannot be accepted right now: send this one again later"}
    assert len(spool_files(queue)[0].read_bytes().splitlines()) == 2


def test_a_dead_processes_spool_is_replayed_and_deleted(queue, site):
    directory = queue.directory / "spool"
    directory.mkdir()
    entry = json.dumps([site.pk, "2026-03-18T10:00:00+00:00", 7, "/left", "direct", "desktop", "", "", "spool:ab"])
    orphan = directory / "host-999-00000000.spool"
    orphan.write_bytes(entry.encode() + b"\n" + b'[1,"cut short')  # the last line was cut by the crash

    replayed = replay_orphan(orphan, queue_client(), stream=STREAM, field=FIELD)

    assert replayed == 1
    assert not orphan.exists()
    ((_, fields),) = queue_client().xrange(STREAM)
    assert json.loads(fields[FIELD])[3:] == ["/left", "direct", "desktop", "", "", "spool:ab"]


def test_a_living_processes_spool_is_left_to_its_owner(queue):
    directory = queue.directory / "spool"
    directory.mkdir()
    owned = directory / "host-1-00000000.spool"
    owned.write_bytes(b'[1,"2026-03-18T10:00:00+00:00",7,"/","direct","desktop","","","spool:cd"]\n')
    owner = os.open(owned, os.O_RDWR)
    fcntl.flock(owner, fcntl.LOCK_EX)
    try:
        replayed = replay_orphan(owned, queue_client(), stream=STREAM, field=FIELD)
    finally:
        os.close(owner)

    assert replayed == 0
    assert owned.exists()
    assert queue_client().xlen(STREAM) == 0
