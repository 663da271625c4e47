"""The event endpoint's rate limit: per IPv4 address or IPv6 /64, and never off, whatever Redis does."""

import json
import subprocess
from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.factories import SiteFactory
from tests.private_redis import UNREACHABLE_REDIS, PrivateRedis, running_private_redis

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_moment(frozen_now):
    """Every request of a test at one moment, so none falls into the next minute's window (a 429 expected
    after two events is otherwise a 202 whenever a minute turns between them)."""
    return frozen_now


@pytest.fixture(autouse=True)
def two_events_a_minute(settings):
    settings.EVENT_RATE = "2/min"
    SiteFactory(domain="example.com")


@pytest.fixture
def cache_redis(tmp_path) -> Iterator[PrivateRedis]:
    for redis in running_private_redis(directory=tmp_path, append_only=False):
        with override_settings(CACHES=redis.caches):
            yield redis


def send(client, address: str):
    body = json.dumps({"domain": "example.com", "url": "https://example.com/"})
    return client.post(
        "/api/event", body, content_type="text/plain", HTTP_USER_AGENT="Firefox/128", REMOTE_ADDR=address
    )


def statuses(client, *addresses: str) -> list[int]:
    return [send(client, address).status_code for address in addresses]


def test_every_address_of_one_ipv6_slash_64_counts_as_one_client(client):
    assert statuses(client, "2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3", "2001:db8:0:2::1") == [
        202,
        202,
        429,
        202,
    ]


def test_ipv4_addresses_are_counted_one_by_one(client):
    assert statuses(client, "203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.1") == [202, 202, 202, 429]


def test_with_redis_unreachable_the_limit_is_counted_in_the_process_and_stays_on(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        assert statuses(client, "203.0.113.1", "203.0.113.1", "203.0.113.1") == [202, 202, 429]


def test_with_redis_full_and_refusing_writes_the_limit_stays_on(client, cache_redis):
    redis_cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(cache_redis.port)]
    subprocess.run([*redis_cli, "config", "set", "maxmemory-policy", "noeviction"], check=True, capture_output=True)
    subprocess.run([*redis_cli, "config", "set", "maxmemory", "1"], check=True, capture_output=True)

    assert statuses(client, "203.0.113.1", "203.0.113.1", "203.0.113.1") == [202, 202, 429]
