"""Events a web process queued lately are put back when the queue's Redis comes back without them."""

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import override_settings

from analytics.event_queue import STREAM, queue_connection, spool_waiting_entries
from analytics.ingest_worker import drain_once, ensure_group
from analytics.models import Pageview
from analytics.queue_journal import queue_journal
from analytics.queue_redis import queue_client
from tests.factories import SiteFactory
from tests.outages import private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(tmp_path) -> Iterator[PrivateRedis]:
    SiteFactory(domain="one.example")
    yield from private_queue(tmp_path)


def send(client, path: str):
    body = json.dumps({"domain": "one.example", "url": f"https://one.example{path}"})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT="Firefox")


def drain() -> tuple[int, int]:
    result = drain_once(queue_client(), consumer="worker-a", block_ms=1)
    return result.taken, result.written


def test_a_flush_loses_no_accepted_event_and_writes_none_twice(client, queue, caplog):
    ensure_group(queue_client())
    for path in ("/a", "/b"):
        send(client, path)
    assert drain() == (2, 2)
    for path in ("/c", "/d"):
        send(client, path)  # accepted, not yet taken by a worker
    queue_client().flushall()

    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        assert send(client, "/e").status_code == 202
        recreated = drain()  # the worker finds its group gone and recreates it
        written = drain()

    assert recreated == (0, 0)
    assert written == (5, 3)  # /a and /b again, already stored; /c, /d and /e new
    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/a", "/b", "/c", "/d", "/e"]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "The event queue's Redis had lost its data (restarted without its append-only file, flushed or evicted): "
        "put back 4 events this process queued in the last 300 s",
        "The event stream's consumer group was gone (Redis lost its data or evicted it); recreated it",
    ]


def test_the_first_event_a_new_queue_takes_puts_nothing_back(client, queue, caplog):
    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        assert send(client, "/first").status_code == 202

    assert queue_client().xlen(STREAM) == 1
    assert caplog.records == []


def test_the_journal_keeps_the_latest_entries_up_to_its_bound():
    with override_settings(QUEUE_JOURNAL_MAX_ENTRIES=2, QUEUE_JOURNAL_SECONDS=300):
        queue_journal.add([b"1", b"2", b"3"], ids=[b"1-0", b"2-0", b"3-0"])

        assert queue_journal.recent() == [b"2", b"3"]


def test_the_journal_forgets_entries_older_than_its_window(monkeypatch):
    from analytics import queue_journal as module

    clock = [100.0, 350.0, 401.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock.pop(0) if len(clock) > 1 else clock[0])
    with override_settings(QUEUE_JOURNAL_SECONDS=300, QUEUE_JOURNAL_MAX_ENTRIES=10):
        queue_journal.add([b"old"], ids=[b"1-0"])
        queue_journal.add([b"new"], ids=[b"2-0"])

        assert queue_journal.recent() == [b"new"]


def spooled_paths(queue: PrivateRedis) -> list[str]:
    lines = b"".join(path.read_bytes() for path in (queue.directory / "spool").glob("*.spool")).splitlines()
    return [json.loads(line)[3] for line in lines]


def test_at_exit_a_process_spools_the_entries_still_waiting_in_the_stream(client, queue):
    ensure_group(queue_client())
    for path in ("/a", "/b"):
        send(client, path)
    drain()  # written and deleted from the stream
    for path in ("/c", "/d"):
        send(client, path)

    assert spool_waiting_entries() == 2
    assert spooled_paths(queue) == ["/c", "/d"]


def test_at_exit_with_redis_away_a_process_spools_its_whole_journal(client, queue):
    ensure_group(queue_client())
    for path in ("/a", "/b"):
        send(client, path)
    drain()
    queue.stop()
    queue_connection.forget()

    assert spool_waiting_entries() == 2
    assert spooled_paths(queue) == ["/a", "/b"]
    queue.start()
