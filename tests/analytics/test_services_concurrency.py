"""Simultaneous writes on separate database connections, as gunicorn workers and ingest workers make them."""

import json
import threading

import pytest
from django.db import connections
from django.test import Client

from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, Session, Site, VisitorSalt
from analytics.services import NewPageview, record_pageviews
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
    assert Pageview.objects.filter(session=session).count() == WORKERS
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
    paths = Breakdown.objects.filter(level=0, dimension=Dimension.PATH).values_list("value", "pageviews", "visitors")
    assert sorted(paths) == [("/", 3, 3), ("/x", 2, 1), ("/y", 1, 1)]
