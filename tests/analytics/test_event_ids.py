"""An event the tracker names with an id of its own is stored once, however often it is sent (its retries).

The id is stored within the event's site (`k:<site id>:<id>`), so one sender cannot use
another site's ids to suppress that site's events; an event without one gets a server-made id.
"""

import json
from collections.abc import Iterator

import pytest

from analytics.event_queue import STREAM, queue_connection
from analytics.events import InvalidEvent, parse_event
from analytics.ingest_worker import drain_once, ensure_group
from analytics.models import Pageview
from tests.factories import SiteFactory
from tests.outages import private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db

EVENT_ID = "0f8e5a52-3c1b-4d6e-9a7f-2b4c6d8e0a1c"
OTHER_ID = "9d3c1e7a-5b2f-4c8d-8e6a-1f3b5d7c9e0b"


@pytest.fixture
def sites():
    return SiteFactory(domain="one.example"), SiteFactory(domain="two.example")


@pytest.fixture
def queue(tmp_path) -> Iterator[PrivateRedis]:
    yield from private_queue(tmp_path)


def send(client, *, domain: str = "one.example", path: str = "/", event_id: str | None = EVENT_ID):
    body = {"domain": domain, "url": f"https://{domain}{path}"}
    if event_id is not None:
        body["id"] = event_id
    return client.post(
        "/api/event",
        json.dumps(body),
        content_type="text/plain",
        HTTP_USER_AGENT="Firefox/128",
        REMOTE_ADDR="203.0.113.9",
    )


def parse(body: dict):
    return parse_event(body=json.dumps(body).encode(), content_type="text/plain")


def test_a_lowercase_uuid_is_the_events_id():
    assert parse({"domain": "one.example", "url": "https://one.example/", "id": EVENT_ID}).event_id == EVENT_ID


def test_an_event_without_an_id_has_none():
    assert parse({"domain": "one.example", "url": "https://one.example/"}).event_id is None


@pytest.mark.parametrize(
    "value",
    [
        EVENT_ID.upper(),
        EVENT_ID.replace("-", ""),  # 32 hex digits, no dashes
        EVENT_ID + "0",
        EVENT_ID[:-1],
        f"{{{EVENT_ID}}}",
        EVENT_ID.replace("a", "g"),
        "",
        12345,
        ["0f8e5a52-3c1b-4d6e-9a7f-2b4c6d8e0a1c"],
        EVENT_ID + "\n",
    ],
)
def test_any_other_id_is_refused(value):
    with pytest.raises(InvalidEvent, match="id must be a random UUID"):
        parse({"domain": "one.example", "url": "https://one.example/", "id": value})


def test_a_bad_id_is_answered_400_and_nothing_is_stored(client, sites):
    response = send(client, event_id="not-an-id")

    assert response.status_code == 400
    assert response.json() == {
        "error": "id must be a random UUID in lowercase, as crypto.randomUUID() writes it, or left out"
    }
    assert Pageview.objects.count() == 0


def test_written_at_once_an_event_sent_three_times_is_stored_once(client, sites):
    one, _ = sites

    statuses = [send(client).status_code for _ in range(3)]

    assert statuses == [202, 202, 202]
    assert list(Pageview.objects.values_list("site", "event_id")) == [(one.pk, f"k:{one.pk}:{EVENT_ID}")]


def test_queued_an_event_sent_twice_is_queued_twice_and_written_once(client, sites, queue):
    one, _ = sites
    redis = queue_connection.client()
    ensure_group(redis)

    statuses = [send(client, path="/first").status_code, send(client, path="/first").status_code]
    queued = redis.xlen(STREAM)
    result = drain_once(redis, consumer="worker-a", block_ms=1)

    assert statuses == [202, 202]
    assert queued == 2
    assert (result.taken, result.written) == (2, 1)
    assert list(Pageview.objects.values_list("path", "event_id")) == [("/first", f"k:{one.pk}:{EVENT_ID}")]


def test_a_retry_after_its_event_was_written_is_not_written_again(client, sites, queue):
    redis = queue_connection.client()
    ensure_group(redis)
    send(client)
    drain_once(redis, consumer="worker-a", block_ms=1)

    retried = send(client).status_code
    result = drain_once(redis, consumer="worker-a", block_ms=1)

    assert retried == 202
    assert (result.taken, result.written) == (1, 0)
    assert Pageview.objects.count() == 1


def test_an_id_is_scoped_to_its_site_so_another_sites_event_is_kept(client, sites):
    one, two = sites

    send(client, domain="one.example")
    send(client, domain="two.example")

    assert sorted(Pageview.objects.values_list("site", "event_id")) == [
        (one.pk, f"k:{one.pk}:{EVENT_ID}"),
        (two.pk, f"k:{two.pk}:{EVENT_ID}"),
    ]


def test_events_with_other_ids_or_none_are_each_stored(client, sites):
    statuses = [
        send(client, path="/a").status_code,
        send(client, path="/b", event_id=OTHER_ID).status_code,
        send(client, path="/c", event_id=None).status_code,
        send(client, path="/d", event_id=None).status_code,
    ]

    assert statuses == [202] * 4
    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/a", "/b", "/c", "/d"]
