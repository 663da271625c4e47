"""Simultaneous requests on separate database connections, as gunicorn workers would send them."""

import json
import threading

import pytest
from django.db import connections
from django.test import Client

from analytics.models import Pageview, Session, VisitorSalt
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
