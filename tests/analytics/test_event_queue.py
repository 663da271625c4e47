"""The stream holds at most `EVENT_QUEUE_MAX_LENGTH` events: past it, events are refused, never trimmed."""

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import override_settings

from analytics.event_queue import STREAM
from analytics.ingest_worker import report_queue_length
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


def test_a_full_queue_refuses_new_events_with_503_and_keeps_the_accepted_ones(client, queue):
    with override_settings(EVENT_QUEUE_MAX_LENGTH=2):
        responses = [send(client, f"/{number}") for number in range(3)]

    assert [response.status_code for response in responses] == [202, 202, 503]
    assert responses[2]["Retry-After"] == "10"
    paths = [json.loads(fields[b"e"])[3] for _, fields in queue_client().xrange(STREAM)]
    assert paths == ["/0", "/1"]  # the first accepted ones stay: nothing trimmed
    assert not (queue.directory / "spool").exists()  # refused, not spooled


def test_the_worker_reports_a_queue_half_full_and_stays_quiet_below(client, queue, caplog):
    for number in range(3):
        send(client, f"/{number}")

    with caplog.at_level(logging.WARNING, logger="glimpse.ingest"):
        with override_settings(EVENT_QUEUE_MAX_LENGTH=7):
            quiet = report_queue_length(queue_client())
        with override_settings(EVENT_QUEUE_MAX_LENGTH=6):
            loud = report_queue_length(queue_client())

    assert (quiet, loud) == (3, 3)
    assert [record.getMessage() for record in caplog.records] == [
        "Event queue holds 3 events, 50% of EVENT_QUEUE_MAX_LENGTH"
    ]
