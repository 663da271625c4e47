"""The public API's rate limit: a counter per client and fixed window, one cache round trip a request."""

import json

import pytest

from sharing.throttling import PublicStatsThrottle
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000  # a multiple of 60: a minute window starts here


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setattr(PublicStatsThrottle, "THROTTLE_RATES", {"public_stats": "2/min"})
    clock = {"now": WINDOW_START + 5.0}
    monkeypatch.setattr(PublicStatsThrottle, "timer", lambda self: clock["now"])
    return clock


def ask(client, token: str, address: str = "203.0.113.7"):
    return client.get("/api/public/stats", {"token": token}, REMOTE_ADDR=address)


def test_the_limit_holds_per_window_and_retry_after_says_when_the_next_one_starts(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token

    first_window = [ask(client, token) for _ in range(3)]
    two_a_minute["now"] = WINDOW_START + 60.0
    next_window = [ask(client, token) for _ in range(3)]

    assert [response.status_code for response in first_window + next_window] == [200, 200, 429, 200, 200, 429]
    refused = first_window[2]
    assert json.loads(refused.content) == {"error": "Too many requests"}
    assert refused["Retry-After"] == "55"
    assert refused["Cache-Control"] == "no-store"


def test_clients_are_counted_apart(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token

    statuses = [ask(client, token, address).status_code for address in ["203.0.113.7"] * 3 + ["198.51.100.2"] * 2]

    assert statuses == [200, 200, 429, 200, 200]


def test_the_addresses_of_one_ipv6_slash_64_are_one_client(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token
    addresses = ["2001:db8:7:7::1", "2001:db8:7:7::2", "2001:db8:7:7:ffff::3", "2001:db8:7:8::1"]

    statuses = [ask(client, token, address).status_code for address in addresses]

    assert statuses == [200, 200, 429, 200]


def test_failed_lookups_count_too(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token

    statuses = [ask(client, "glimpse_guess").status_code for _ in range(2)] + [ask(client, token).status_code]

    assert statuses == [404, 404, 429]


def test_the_limit_stays_on_counted_in_the_process_when_the_cache_cannot_count(
    client, site, two_a_minute, settings, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    token = ShareTokenFactory(site=site).raw_token

    statuses = [ask(client, token).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert any(record.filename == "cache_counters.py" and record.levelname == "WARNING" for record in caplog.records)


def look(client, token: str, address: str = "203.0.113.7"):
    return client.get(f"/share/{token}/", REMOTE_ADDR=address)


def test_the_share_page_shares_the_api_limit_and_answers_a_friendly_html_429(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token

    api = ask(client, token)
    page = look(client, token)
    refused = look(client, token)
    guessing = look(client, "glimpse_guessed-token")
    elsewhere = look(client, token, address="198.51.100.1")

    assert (api.status_code, page.status_code, elsewhere.status_code) == (200, 200, 200)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    assert refused["Retry-After"] == "55"
    assert refused["Cache-Control"] == "no-store"
    assert "Too many requests" in refused.content.decode()
    assert guessing.status_code == 429
    assert ask(client, token).status_code == 429


def test_unknown_tokens_on_the_share_page_count_against_the_limit(client, site, two_a_minute):
    token = ShareTokenFactory(site=site).raw_token

    statuses = [look(client, f"glimpse_guess{attempt}").status_code for attempt in range(2)]

    assert statuses == [404, 404]
    assert look(client, token).status_code == 429


def test_forged_forwarded_values_share_the_peers_counter_instead_of_each_getting_a_fresh_one(
    client, site, two_a_minute, settings
):
    """Behind one proxy, text that is not an address falls back to the peer address, so it cannot dodge the limit."""
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    token = ShareTokenFactory(site=site).raw_token

    statuses = [
        client.get(
            "/api/public/stats", {"token": token}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forged
        ).status_code
        for forged in ["unknown", "x" * 8192, "fe80::1%forged"]
    ]

    assert statuses == [200, 200, 429]
