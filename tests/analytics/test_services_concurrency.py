"""Simultaneous writes on separate database connections, as gunicorn workers and ingest workers make them."""

import json
import threading
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client

from analytics.event_queue import QueuedPageview
from analytics.ingest_worker import write_batch
from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, Session, Site, VisitorSalt
from analytics.services import (
    NewPageview,
    record_batch,
    record_batch_of_free_visitors,
    record_pageviews,
    visitor_lock_key,
)
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
WORKERS = 8


def post_simultaneously(bodies_and_ips):
    """POST every event from its own thread (its own connection), all released at the same instant."""
    start = threading.Barrier(len(bodies_and_ips))
    statuses = []

    def send(body, ip):
        try:
            start.wait()
            response = Client().post(
                "/api/event", data=body, content_type="text/plain", headers={"User-Agent": CHROME}, REMOTE_ADDR=ip
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=pair) for pair in bodies_and_ips]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def event(path):
    return json.dumps({"domain": "example.com", "url": f"https://example.com{path}", "width": 1280})


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_simultaneous_pageviews_of_a_new_visitor_make_exactly_one_session():
    SiteFactory(domain="example.com")

    statuses = post_simultaneously([(event(f"/page-{n}"), "81.2.69.142") for n in range(WORKERS)])

    assert statuses == [202] * WORKERS
    session = Session.objects.get()
    assert session.pageviews == WORKERS
    assert Pageview.objects.filter(visitor_id=session.visitor_id).count() == WORKERS
    assert VisitorSalt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_simultaneous_pageviews_of_different_visitors_are_all_kept():
    SiteFactory(domain="example.com")

    statuses = post_simultaneously([(event("/"), f"81.2.69.{n}") for n in range(WORKERS)])

    assert statuses == [202] * WORKERS
    assert Session.objects.count() == WORKERS
    assert Pageview.objects.count() == WORKERS
    assert set(Session.objects.values_list("pageviews", flat=True)) == {1}


def record_simultaneously(site, batches):
    """Each batch written by `record_pageviews` from its own thread (its own connection), as two ingest workers do."""
    start = threading.Barrier(len(batches))
    failures = []

    def write(batch):
        try:
            start.wait()
            record_pageviews(site=Site.objects.get(pk=site.pk), pageviews=batch)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_workers_writing_batches_of_the_same_visitors_at_once_count_everything_once():
    site = SiteFactory(domain="example.com")
    first = [
        NewPageview(utc("2026-03-18T10:00"), 1, "/", event_id="1-0"),
        NewPageview(utc("2026-03-18T10:00"), 2, "/x", event_id="1-1"),
        NewPageview(utc("2026-03-18T10:00"), 3, "/", event_id="1-2"),
    ]
    second = [
        NewPageview(utc("2026-03-18T10:10"), 1, "/y", event_id="2-0"),
        NewPageview(utc("2026-03-18T11:00"), 2, "/x", event_id="2-1"),
        NewPageview(utc("2026-03-18T10:05"), 4, "/", event_id="2-2"),
    ]

    assert record_simultaneously(site, [first, second]) == []

    sessions = Session.objects.order_by("visitor_id", "started_at").values_list("visitor_id", "pageviews", "duration")
    assert list(sessions) == [(1, 2, 600), (2, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 0)]
    day = DailyRollup.objects.get()
    assert (day.pageviews, day.visitors, day.sessions, day.bounces, day.duration) == (6, 4, 5, 4, 600)
    paths = Breakdown.objects.filter(dimension=Dimension.PATH).values_list("value", "pageviews", "visitors")
    assert sorted(paths) == [("/", 3, 3), ("/x", 2, 1), ("/y", 1, 1)]


@contextmanager
def visitor_written_elsewhere(site, visitor_id):
    """Another connection holding the lock a writer of this visitor takes, as a second ingest worker does mid-batch."""
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        autocommit=True,
    )
    other.execute("SELECT pg_advisory_lock(%s)", [visitor_lock_key(site_id=site.pk, visitor_id=visitor_id)])
    try:
        yield other
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_pageviews_of_a_visitor_another_writer_holds_are_handed_back_untouched_and_counted_once_later():
    site = SiteFactory(domain="example.com")
    held = NewPageview(utc("2026-03-18T10:00"), 2, "/", event_id="1-1")
    batch = [
        NewPageview(utc("2026-03-18T10:00"), 1, "/", event_id="1-0"),
        held,
        NewPageview(utc("2026-03-18T10:01"), 3, "/b", event_id="1-2"),
        NewPageview(utc("2026-03-18T10:05"), 1, "/a", event_id="1-3"),
    ]

    with visitor_written_elsewhere(site, 2):
        stored, busy = record_batch_of_free_visitors([(site, batch)])

    assert busy == [(site, [held])]
    assert sorted(row.event_id for row in stored) == ["1-0", "1-2", "1-3"]
    day = DailyRollup.objects.get()
    # visitor 1: one session of two pageviews, 300 s; visitor 3: a bounce.
    assert (day.pageviews, day.visitors, day.sessions, day.bounces, day.duration) == (3, 2, 2, 1, 300)

    assert len(record_batch(busy)) == 1

    day.refresh_from_db()
    assert (day.pageviews, day.visitors, day.sessions, day.bounces, day.duration) == (4, 3, 3, 2, 300)
    paths = Breakdown.objects.filter(dimension=Dimension.PATH).values_list("value", "pageviews", "visitors")
    assert sorted(paths) == [("/", 2, 2), ("/a", 1, 1), ("/b", 1, 1)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_worker_writes_a_held_visitor_after_the_rest_of_its_batch_once_the_other_writer_commits():
    site = SiteFactory(domain="example.com")
    batch = [
        QueuedPageview(site.pk, NewPageview(utc("2026-03-18T10:00"), 2, "/", event_id="1-0")),
        QueuedPageview(site.pk, NewPageview(utc("2026-03-18T10:01"), 1, "/a", event_id="1-1")),
        QueuedPageview(site.pk, NewPageview(utc("2026-03-18T10:02"), 3, "/b", event_id="1-2")),
    ]

    with visitor_written_elsewhere(site, 2) as other:
        threading.Timer(0.5, other.close).start()
        assert write_batch(batch) == 3

    in_order_written = list(Pageview.objects.order_by("pk").values_list("event_id", flat=True))
    assert in_order_written == ["1-1", "1-2", "1-0"]
    day = DailyRollup.objects.get()
    assert (day.pageviews, day.visitors, day.sessions, day.bounces) == (3, 3, 3, 3)


@pytest.mark.django_db
def test_without_other_writers_every_visitor_is_free():
    site = SiteFactory(domain="example.com")
    batch = [NewPageview(utc("2026-03-18T10:00"), visitor, "/", event_id=f"1-{visitor}") for visitor in (1, 2)]

    stored, busy = record_batch_of_free_visitors([(site, batch)])

    assert (len(stored), busy) == (2, [])
    assert DailyRollup.objects.get().visitors == 2
