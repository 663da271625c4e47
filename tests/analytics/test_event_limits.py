"""With a queue, an event's limits are counted by the script that appends it: one round trip, and no limit weaker.

Each test runs the endpoint against a private Redis as the queue, as production does.
"""

import json
import subprocess
from collections.abc import Iterator

import pytest
from django.test import override_settings

from analytics.drop_counts import write_dropped_events
from analytics.event_queue import STREAM, queue_connection
from analytics.models import Site
from analytics.queue_redis import queue_client
from tests.factories import SiteFactory
from tests.outages import private_queue
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def one_moment(frozen_now):
    """Every request of a test at one moment, so none falls into the next minute's window (a 429 expected
    after two events is otherwise a 202 whenever a minute turns between them)."""
    return frozen_now


@pytest.fixture
def queue(tmp_path, settings) -> Iterator[PrivateRedis]:
    settings.EVENT_RATE = ""
    settings.NEW_VISITORS_PER_NETWORK = ""
    SiteFactory(domain="example.com")
    yield from private_queue(tmp_path)


def send(client, *, address: str = "203.0.113.1", browser: int = 120, body: str | None = None):
    """Each `browser` number is another user agent, so another visitor id for the same address."""
    body = body if body is not None else json.dumps({"domain": "example.com", "url": "https://example.com/"})
    agent = f"Mozilla/5.0 (X11; Linux x86_64; rv:{browser}.0) Gecko/20100101 Firefox/{browser}.0"
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def queued() -> int:
    return queue_client().xlen(STREAM)


def spooled(queue: PrivateRedis) -> int:
    return sum(len(path.read_bytes().splitlines()) for path in (queue.directory / "spool").glob("*.spool"))


def redis_cli(queue: PrivateRedis, *arguments: str) -> str:
    command = ["redis-cli", "-h", "127.0.0.1", "-p", str(queue.port), *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def command_calls(queue: PrivateRedis) -> dict[str, int]:
    """Commands Redis ran since the last `CONFIG RESETSTAT`, by name (a script's own commands included; the
    `CONFIG` calls of the test left out)."""
    calls = {}
    for line in redis_cli(queue, "info", "commandstats").splitlines():
        if line.startswith("cmdstat_") and not line.startswith("cmdstat_config|"):
            name, fields = line.removeprefix("cmdstat_").split(":", 1)
            calls[name] = int(fields.split(",")[0].removeprefix("calls="))
    return calls


def test_an_accepted_event_costs_one_call_to_redis(client, queue, settings):
    settings.EVENT_RATE = "600/min"
    settings.NEW_VISITORS_PER_NETWORK = "60/min"
    send(client)  # loads the script and makes the queue's marker
    redis_cli(queue, "config", "resetstat")

    response = send(client, browser=121)

    calls = command_calls(queue)
    assert response.status_code == 202
    # One EVALSHA; inside it the marker, the rate counter (made by the first event), the visitor set (a new visitor:
    # SADD and EXPIRE), the bound and the XADD.
    assert calls == {
        "evalsha": 1,
        "get": 1,
        "incr": 1,
        "sismember": 1,
        "scard": 1,
        "sadd": 1,
        "expire": 1,
        "xlen": 1,
        "xadd": 1,
    }


def test_the_rate_limit_accepts_up_to_its_bound_and_refuses_the_next(client, queue, settings):
    settings.EVENT_RATE = "3/min"

    responses = [send(client) for _ in range(4)]

    assert [response.status_code for response in responses] == [202, 202, 202, 429]
    assert 1 <= int(responses[3]["Retry-After"]) <= 60
    assert responses[3].json() == {"error": "Too many requests"}
    assert queued() == 3


def test_every_address_of_one_ipv6_slash_64_counts_as_one_client(client, queue, settings):
    settings.EVENT_RATE = "2/min"

    statuses = [
        send(client, address=address).status_code
        for address in ("2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3", "2001:db8:0:2::1")
    ]

    assert statuses == [202, 202, 429, 202]


def test_requests_that_end_before_the_queue_count_in_the_same_counter(client, queue, settings):
    settings.EVENT_RATE = "3/min"
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    unknown_site = json.dumps({"domain": "nobody.example", "url": "https://nobody.example/"})

    statuses = [
        send(client, body="{not json").status_code,
        send(client, body=unknown_site).status_code,
        client.post(
            "/api/event",
            json.dumps({"domain": "example.com", "url": "https://example.com/"}),
            content_type="text/plain",
            HTTP_USER_AGENT=bot,
            REMOTE_ADDR="203.0.113.1",
        ).status_code,
        send(client).status_code,
        send(client, body="{not json").status_code,
    ]

    assert statuses == [400, 404, 202, 429, 429]
    assert queued() == 0


def test_the_new_visitor_cap_admits_up_to_its_bound_and_lets_known_visitors_through(client, queue, settings):
    settings.NEW_VISITORS_PER_NETWORK = "3/min"

    new = [send(client, browser=number).status_code for number in (120, 121, 122, 123)]
    known = send(client, browser=121).status_code
    other_network = send(client, address="203.0.113.2", browser=123).status_code

    assert new == [202, 202, 202, 429]
    assert (known, other_network) == (202, 202)
    assert queued() == 5


def test_an_event_over_the_rate_admits_no_new_visitor(client, queue, settings):
    settings.EVENT_RATE = "1/min"
    settings.NEW_VISITORS_PER_NETWORK = "1/min"
    send(client, browser=120)

    refused = send(client, browser=121).status_code
    settings.EVENT_RATE = ""
    returning = send(client, browser=120).status_code
    new = send(client, browser=122).status_code

    assert (refused, returning, new) == (429, 202, 429)


def test_with_the_queue_unreachable_both_limits_are_counted_in_the_process_and_events_spooled(client, queue, settings):
    settings.EVENT_RATE = "5/min"
    settings.NEW_VISITORS_PER_NETWORK = "2/min"
    with override_settings(QUEUE_REDIS_URL=UNREACHABLE):
        queue_connection.forget()
        statuses = [send(client, browser=number).status_code for number in (120, 121, 122, 120, 120, 120)]

    # The third is a new visitor too many; the sixth the event too many (the refused one counted too).
    assert statuses == [202, 202, 429, 202, 202, 429]
    assert spooled(queue) == 4


def test_with_the_queue_refusing_writes_at_maxmemory_the_limits_stay_on(client, queue, settings):
    settings.EVENT_RATE = "2/min"
    send(client, address="198.51.100.1")  # the script is loaded, the marker set
    redis_cli(queue, "config", "set", "maxmemory-policy", "noeviction")
    redis_cli(queue, "config", "set", "maxmemory", "1")

    statuses = [send(client).status_code for _ in range(3)]

    assert statuses == [202, 202, 429]
    assert spooled(queue) == 2


def test_a_full_queue_still_counts_the_event_against_the_rate(client, queue, settings):
    settings.EVENT_RATE = "2/min"
    with override_settings(EVENT_QUEUE_MAX_LENGTH=1):
        statuses = [send(client).status_code for _ in range(3)]

    assert statuses == [202, 503, 429]
    assert queued() == 1


def test_a_client_told_it_is_over_its_rate_is_refused_at_once_for_the_rest_of_the_window(client, queue, settings):
    settings.EVENT_RATE = "1/min"
    first, over = send(client).status_code, send(client).status_code
    redis_cli(queue, "config", "resetstat")

    again = [send(client), send(client, body="{not json")]
    others = send(client, address="203.0.113.2").status_code

    assert (first, over) == (202, 429)
    assert [response.status_code for response in again] == [429, 429]
    assert 1 <= int(again[0]["Retry-After"]) <= 60
    assert command_calls(queue) == {"evalsha": 1, "get": 1, "incr": 1, "expire": 1, "xlen": 1, "xadd": 1}
    assert others == 202


FOREIGN = json.dumps({"domain": "example.com", "url": "https://evil.example/"})


def test_a_foreign_host_event_over_the_rate_is_refused_and_not_counted_as_a_drop(client, queue, settings):
    settings.EVENT_RATE = "2/min"

    statuses = [send(client, body=FOREIGN).status_code for _ in range(5)]
    write_dropped_events()

    assert statuses == [202, 202, 429, 429, 429]
    assert Site.objects.get(domain="example.com").dropped_events == 2


def test_without_a_queue_a_foreign_host_event_over_the_rate_is_not_counted_as_a_drop(client, settings):
    site = SiteFactory(domain="example.com")
    settings.EVENT_RATE = "2/min"
    settings.NEW_VISITORS_PER_NETWORK = ""
    settings.INGEST_QUEUE = False

    statuses = [send(client, body=FOREIGN).status_code for _ in range(5)]
    write_dropped_events()
    site.refresh_from_db()

    assert statuses == [202, 202, 429, 429, 429]
    assert site.dropped_events == 2
