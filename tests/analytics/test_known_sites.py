"""`POST /api/event` keeps knowing its sites while the database is away, however long.

Each test runs a Redis of its own as the queue (where the copies live); the database is
"down" when every statement on the test's connection fails.
"""

import json
from collections.abc import Iterator

import pytest

from analytics import known_sites
from analytics.event_queue import STREAM
from analytics.process_state import reset_process_state
from analytics.queue_redis import queue_client
from tests.factories import SiteFactory
from tests.outages import database_down, private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(tmp_path) -> Iterator[PrivateRedis]:
    yield from private_queue(tmp_path)


@pytest.fixture
def site():
    return SiteFactory(domain="shop.example", timezone="Europe/Berlin", allowed_hostnames="shop.example")


@pytest.fixture
def lookups_expire_at_once(settings):
    """Every local copy is past its lifetime on the next event, as in an outage longer than it."""
    settings.KNOWN_SITE_SECONDS = 0


def send(client, domain: str = "shop.example", path: str = "/"):
    body = json.dumps({"domain": domain, "url": f"https://{domain}{path}"})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT="Firefox/128.0")


def queued() -> int:
    return queue_client().xlen(STREAM)


def test_a_known_site_is_accepted_while_the_database_is_away_longer_than_every_lifetime(
    client, queue, site, lookups_expire_at_once
):
    assert send(client, path="/before").status_code == 202

    with database_down():
        statuses = [send(client, path=f"/during/{number}").status_code for number in range(3)]

    assert statuses == [202, 202, 202]
    assert queued() == 4


def test_a_process_started_during_the_outage_knows_the_sites_from_the_redis_copy(client, queue, site):
    assert send(client).status_code == 202
    reset_process_state()  # a new gunicorn worker: no local copy, no salt held

    with database_down():
        response = send(client, path="/after-restart")

    assert response.status_code == 202
    assert queued() == 2


def test_the_redis_copy_holds_what_the_event_path_needs_and_nothing_else(client, queue, site):
    send(client)

    copy = json.loads(queue_client().hget(known_sites.COPIES, "shop.example"))

    assert copy == [site.pk, "shop.example", "Europe/Berlin", "shop.example", "", ""]


def test_a_copied_site_keeps_its_allowed_hosts_during_the_outage(client, queue, site):
    send(client)
    reset_process_state()

    with database_down():
        foreign = client.post(
            "/api/event",
            json.dumps({"domain": "shop.example", "url": "https://elsewhere.example/"}),
            content_type="text/plain",
            HTTP_USER_AGENT="Firefox/128.0",
        )

    assert foreign.status_code == 202
    assert queued() == 1  # the foreign page's event was dropped, as with the database up


def test_a_domain_no_copy_knows_is_refused_with_503_and_retry_after_during_the_outage(client, queue, site):
    with database_down():
        response = send(client)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "Events cannot be accepted right now: send this one again later"}
    assert queued() == 0


def test_a_deleted_site_leaves_the_copy(client, queue, site, lookups_expire_at_once):
    send(client)
    site.delete()

    assert send(client).status_code == 404
    assert queue_client().hget(known_sites.COPIES, "shop.example") is None


def test_after_a_failure_the_database_is_asked_again_only_after_a_pause(client, queue, site, lookups_expire_at_once):
    send(client)
    asked = []

    def count_and_refuse(execute, sql, params, many, context):
        asked.append(sql)
        raise known_sites.DatabaseError("connection refused")

    from django.db import connection

    with connection.execute_wrapper(count_and_refuse):
        statuses = {send(client, path=f"/{number}").status_code for number in range(5)}

    assert statuses == {202}
    assert len(asked) == 1
