"""Batched ingestion: the endpoint queues, workers write batches, and nothing is lost or written twice.

Each test runs a Redis of its own (port 6395), so it can stop and restart it, and points the
cache (and so the queue) at it. Expected numbers are counted by hand from the events sent.
"""

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import DatabaseError
from django.utils import timezone

from analytics import ingest_worker
from analytics.event_queue import GROUP, STREAM, queue_connection
from analytics.ingest_worker import drain_once, ensure_group
from analytics.models import DailyRollup, Pageview, Session
from analytics.queue_redis import worker_client
from analytics.selectors import site_stats
from tests.factories import SiteFactory
from tests.outages import private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile Safari/604.1"


@pytest.fixture
def queue(tmp_path) -> Iterator[PrivateRedis]:
    yield from private_queue(tmp_path)


@pytest.fixture
def redis_client(queue):
    client = queue_connection.client()
    ensure_group(client)
    return client


@pytest.fixture
def sites():
    return SiteFactory(domain="one.example"), SiteFactory(domain="two.example")


def send(client, domain: str, path: str, *, user_agent: str = FIREFOX, address: str = "203.0.113.9"):
    body = json.dumps({"domain": domain, "url": f"https://{domain}{path}", "referrer": ""})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)


def queued(redis_client) -> int:
    return redis_client.xlen(STREAM)


def test_the_endpoint_queues_and_a_worker_writes_the_batch(client, redis_client, sites):
    one, two = sites
    statuses = [
        send(client, "one.example", "/").status_code,
        send(client, "one.example", "/pricing").status_code,
        send(client, "two.example", "/", user_agent=SAFARI, address="198.51.100.4").status_code,
    ]

    assert statuses == [202, 202, 202]
    assert (queued(redis_client), Pageview.objects.count()) == (3, 0)

    result = drain_once(redis_client, consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (3, 3)
    assert queued(redis_client) == 0
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
    assert sorted(Pageview.objects.filter(site=one).values_list("path", flat=True)) == ["/", "/pricing"]
    assert Session.objects.get(site=one).pageviews == 2  # one visitor, one session across the batch
    stats = site_stats(site=two, period="7d", now=timezone.now())
    assert (stats.unique_visitors, stats.pageviews, stats.devices[0].key) == (1, 1, "mobile")
    assert DailyRollup.objects.get(site=one).pageviews == 2


def test_a_batch_taken_by_a_worker_that_died_is_written_once_by_another(client, redis_client, sites, monkeypatch):
    for path in ["/a", "/b", "/c"]:
        send(client, "one.example", path)
    ingest_worker.take_batch(redis_client, consumer="worker-killed", size=10, block_ms=1)  # taken, never written
    monkeypatch.setattr(ingest_worker, "CLAIM_IDLE_MS", 0)

    result = drain_once(redis_client, consumer="worker-b", block_ms=1)

    assert (result.taken, result.written) == (3, 3)
    assert Pageview.objects.count() == 3
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0


def test_a_batch_written_but_not_acknowledged_is_not_written_twice(client, redis_client, sites, monkeypatch):
    for path in ["/a", "/b"]:
        send(client, "one.example", path)
    entries = ingest_worker.take_batch(redis_client, consumer="worker-killed", size=10, block_ms=1)
    ingest_worker.write_batch(ingest_worker.decode_entries(entries))
    monkeypatch.setattr(ingest_worker, "CLAIM_IDLE_MS", 0)

    result = drain_once(redis_client, consumer="worker-b", block_ms=1)

    assert (result.taken, result.written) == (2, 0)
    assert Pageview.objects.count() == 2
    assert DailyRollup.objects.get().pageviews == 2
    assert queued(redis_client) == 0


def test_a_failed_write_leaves_the_batch_queued_for_the_same_worker(client, redis_client, sites, monkeypatch):
    send(client, "one.example", "/")
    real_write = ingest_worker.write_batch

    def database_down(queued_pageviews):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(ingest_worker, "write_batch", database_down)
    with pytest.raises(DatabaseError):
        drain_once(redis_client, consumer="worker-a", block_ms=1)
    monkeypatch.setattr(ingest_worker, "write_batch", real_write)

    result = drain_once(redis_client, consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (1, 1)
    assert Pageview.objects.count() == 1


def test_queued_events_survive_a_redis_restart(client, queue, redis_client, sites):
    for path in ["/a", "/b", "/c", "/d"]:
        send(client, "one.example", path)

    queue.restart()  # appendonly yes, as production must run it
    queue_connection.forget()
    client_after = queue_connection.client()
    result = drain_once(client_after, consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (4, 4)
    assert Pageview.objects.count() == 4


def test_with_redis_down_events_wait_in_the_spool_not_the_database_and_the_log_says_so_once(
    client, queue, sites, caplog
):
    queue.stop()
    queue_connection.forget()

    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        statuses = {send(client, "one.example", f"/{number}").status_code for number in range(20)}

    assert statuses == {202}
    assert Pageview.objects.count() == 0
    (spool,) = (queue.directory / "spool").iterdir()
    assert len(spool.read_bytes().splitlines()) == 20
    outage_lines = [record for record in caplog.records if record.name == "glimpse.ingest"]
    assert len(outage_lines) == 1
    assert "spooling events to local disk" in outage_lines[0].getMessage()
    queue.start()


def test_queued_pageviews_of_a_deleted_site_are_dropped_not_retried_forever(client, redis_client, sites):
    send(client, "two.example", "/")
    send(client, "one.example", "/")
    sites[1].delete()

    result = drain_once(redis_client, consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (2, 1)
    assert queued(redis_client) == 0


def test_the_queue_holds_no_ip_address_or_user_agent(client, redis_client, sites):
    send(client, "one.example", "/", address="203.0.113.77")

    (_, fields), *_ = redis_client.xrange(STREAM)
    entry = fields[b"e"].decode()
    assert "203.0.113.77" not in entry
    assert "Firefox/128" not in entry and "Mozilla" not in entry
    assert json.loads(entry)[0] == sites[0].pk


def test_late_pageviews_in_a_batch_join_their_sessions(redis_client, sites):
    """Three pageviews of one visitor arrive in the order 10:20, 10:00, 10:10: one session of three, 1,200 s."""
    from analytics.event_queue import enqueue
    from analytics.services import NewPageview

    one = sites[0]
    start = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC)
    for minutes in (20, 0, 10):
        enqueue(site_id=one.pk, pageview=NewPageview(start + dt.timedelta(minutes=minutes), 7, f"/{minutes}"))

    drain_once(redis_client, consumer="worker-a", block_ms=1)

    session = Session.objects.get()
    assert (session.pageviews, session.duration, session.entry_path, session.exit_path) == (3, 1200, "/0", "/20")
    assert DailyRollup.objects.get().bounces == 0


def test_a_batch_is_cut_into_transactions_by_visitor_keeping_each_visitors_pageviews_together(monkeypatch):
    from analytics.services import NewPageview

    monkeypatch.setattr(ingest_worker, "VISITORS_PER_TRANSACTION", 2)
    moment = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC)
    a, b, c, d = (NewPageview(moment, visitor, path) for visitor, path in [(1, "/a"), (2, "/b"), (1, "/c"), (3, "/d")])
    e = NewPageview(moment, 1, "/e")

    assert ingest_worker.parts({2: [e], 1: [a, b, c, d]}) == [[(1, [a, c, b])], [(1, [d]), (2, [e])]]


def test_a_batch_written_in_several_transactions_counts_every_pageview_once(client, redis_client, sites, monkeypatch):
    monkeypatch.setattr(ingest_worker, "VISITORS_PER_TRANSACTION", 1)
    send(client, "one.example", "/a")
    send(client, "one.example", "/b", user_agent=SAFARI, address="198.51.100.4")
    send(client, "one.example", "/c")
    send(client, "two.example", "/")

    result = drain_once(redis_client, consumer="worker-a", block_ms=1)

    assert (result.taken, result.written) == (4, 4)
    assert queued(redis_client) == 0
    assert sorted(Session.objects.filter(site=sites[0]).values_list("pageviews", flat=True)) == [1, 2]
    day = DailyRollup.objects.get(site=sites[0])
    assert (day.pageviews, day.visitors, day.sessions) == (3, 2, 2)
    assert DailyRollup.objects.get(site=sites[1]).pageviews == 1


def test_an_idle_worker_waits_without_errors_and_reads_an_event_the_moment_it_arrives(redis_client, sites):
    """The worker's blocking read waits 2 s; an event queued 0.3 s in is read at once, not at the end of the wait."""
    from analytics.event_queue import enqueue
    from analytics.services import NewPageview

    worker = worker_client(block_ms=2000)
    pageview = NewPageview(timezone.now(), 7, "/late")
    sender = threading.Timer(0.3, lambda: enqueue(site_id=sites[0].pk, pageview=pageview))
    started = time.monotonic()
    sender.start()

    result = drain_once(worker, consumer="worker-a", block_ms=2000)
    elapsed = time.monotonic() - started
    sender.join()

    assert (result.taken, result.written) == (1, 1)
    assert elapsed < 1.0


def test_an_idle_worker_whose_wait_ends_empty_raises_nothing(redis_client):
    worker = worker_client(block_ms=700)

    result = drain_once(worker, consumer="worker-a", block_ms=700)

    assert (result.taken, result.written) == (0, 0)


def test_a_worker_recreates_a_lost_consumer_group_and_says_so_once(client, redis_client, sites, caplog):
    redis_client.delete(STREAM)  # as after a restart without the append-only file, or an eviction
    send(client, "one.example", "/a")
    send(client, "one.example", "/b")

    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        first = drain_once(redis_client, consumer="worker-a", block_ms=1)
        second = drain_once(redis_client, consumer="worker-a", block_ms=1)
        third = drain_once(redis_client, consumer="worker-a", block_ms=1)

    assert [(first.taken, first.written), (second.taken, second.written), (third.taken, third.written)] == [
        (0, 0),
        (2, 2),
        (0, 0),
    ]
    assert Pageview.objects.count() == 2
    lines = [record.getMessage() for record in caplog.records if record.name == "glimpse.ingest"]
    assert lines == ["The event stream's consumer group was gone (Redis lost its data or evicted it); recreated it"]


def test_a_worker_waiting_when_the_stream_is_deleted_recreates_the_group(redis_client, sites, caplog):
    worker = worker_client(block_ms=3000)
    deleter = threading.Timer(0.3, lambda: redis_client.delete(STREAM))
    deleter.start()

    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        result = drain_once(worker, consumer="worker-a", block_ms=3000)
    deleter.join()

    assert (result.taken, result.written) == (0, 0)
    assert [group["name"] for group in redis_client.xinfo_groups(STREAM)] == [GROUP.encode()]
    assert [record.getMessage() for record in caplog.records] == [
        "The event stream's consumer group was gone (Redis lost its data or evicted it); recreated it"
    ]


@pytest.mark.parametrize(
    ("taken", "elapsed", "pause"),
    [
        (40, 0.05, 0.20),  # a small batch under a steady stream: wait until 0.25 s since it was read
        (40, 0.25, 0.0),  # its write took the whole time already
        (40, 0.90, 0.0),  # read after an idle wait: no further wait
        (0, 0.0, 0.0),  # nothing read: block again at once
        (5000, 0.05, 0.0),  # a full batch: a backlog, read on at once
    ],
)
def test_after_a_batch_that_emptied_the_stream_the_worker_lets_the_next_one_gather(taken, elapsed, pause):
    waited = ingest_worker.gather_pause(taken=taken, size=5000, elapsed=elapsed, gather_seconds=0.25)

    assert waited == pytest.approx(pause)
