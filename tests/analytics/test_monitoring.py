"""The event path's counters (`analytics.monitoring`): each outcome counted once, where it happens."""

import json

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from analytics.event_queue import queue_connection
from analytics.ingest_worker import drain_once, ensure_group
from tests.factories import SiteFactory
from tests.private_redis import running_private_redis

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def events(outcome: str) -> float:
    return REGISTRY.get_sample_value("glimpse_events_total", {"outcome": outcome}) or 0.0


def send(client, url: str, *, domain: str = "example.com", user_agent: str = FIREFOX):
    body = json.dumps({"domain": domain, "url": url, "referrer": ""})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT=user_agent)


def test_accepted_dropped_and_refused_events_are_each_counted_once(client):
    SiteFactory(domain="example.com")
    before = {outcome: events(outcome) for outcome in ["accepted", "dropped", "refused"]}

    statuses = [
        send(client, "https://example.com/").status_code,
        send(client, "https://example.com/pricing").status_code,
        send(client, "https://example.com/", user_agent=GOOGLEBOT).status_code,
        send(client, "https://copied.example/").status_code,
        send(client, "https://unknown.example/", domain="unknown.example").status_code,
        client.post("/api/event", "{", content_type="text/plain").status_code,
    ]

    assert statuses == [202, 202, 202, 202, 404, 400]
    assert {outcome: events(outcome) - before[outcome] for outcome in before} == {
        "accepted": 2,
        "dropped": 2,
        "refused": 2,
    }


@pytest.fixture
def queue(tmp_path):
    for redis in running_private_redis(directory=tmp_path, append_only=False):
        with override_settings(
            CACHES=redis.caches, INGEST_QUEUE=True, QUEUE_REDIS_URL=f"redis://127.0.0.1:{redis.port}/0"
        ):
            queue_connection.forget()
            yield queue_connection.client()
        queue_connection.forget()


def test_each_batch_an_ingest_worker_writes_is_timed_once(client, queue):
    SiteFactory(domain="example.com")
    ensure_group(queue)
    before = REGISTRY.get_sample_value("glimpse_ingest_batch_write_seconds_count") or 0.0
    send(client, "https://example.com/")
    send(client, "https://example.com/pricing")

    first = drain_once(queue, consumer="worker-a", block_ms=1)
    second = drain_once(queue, consumer="worker-a", block_ms=1)

    assert (first.written, second.taken) == (2, 0)
    assert REGISTRY.get_sample_value("glimpse_ingest_batch_write_seconds_count") - before == 1
