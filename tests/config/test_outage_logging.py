"""What the production console log shows when the stats fail or Redis is gone, request after request."""

import json

import pytest
from django.core.cache import cache

from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
    }
}


def logged_lines(console) -> list[str]:
    """Log lines as the formatter starts them (timestamp first), leaving traceback lines out."""
    return [line.split(" ", 2)[2] for line in console.getvalue().splitlines() if line[:4].isdigit()]


def test_an_api_500_is_logged_once_with_its_traceback(client, console, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("sharing.stats_cache.site_stats", explode)
    token = ShareTokenFactory().raw_token

    response = client.get("/api/public/stats", {"token": token})

    assert response.status_code == 500
    assert json.loads(response.content) == {"error": "Internal server error"}
    assert logged_lines(console) == ["ERROR glimpse.api Unhandled error in PublicStatsApi (GET /api/public/stats)"]
    assert console.getvalue().count("Traceback") == 1
    assert "RuntimeError: database on fire" in console.getvalue()


def test_twenty_failing_requests_are_one_error_line(client, console, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("sharing.stats_cache.site_stats", explode)
    token = ShareTokenFactory().raw_token

    statuses = {client.get("/api/public/stats", {"token": token}).status_code for _ in range(20)}

    assert statuses == {500}
    assert logged_lines(console) == ["ERROR glimpse.api Unhandled error in PublicStatsApi (GET /api/public/stats)"]


def test_a_redis_outage_is_one_warning_per_kind_not_one_per_request(client, console, settings):
    settings.CACHES = UNREACHABLE_REDIS
    token = ShareTokenFactory().raw_token

    statuses = {client.get("/api/public/stats", {"token": token}).status_code for _ in range(10)}

    assert statuses == {200}
    lines = logged_lines(console)
    cache_lines = [line for line in lines if line.startswith("WARNING glimpse.cache")]
    assert len(cache_lines) == len(set(cache_lines)) >= 1
    assert any("Cache unreachable, answering without it: " in line for line in cache_lines)
    assert len(lines) == len(set(lines))  # no line twice: each kind once
    assert "Traceback" not in console.getvalue()
    cache.clear()


def test_requests_with_hundreds_of_made_up_hosts_are_one_line_without_the_hosts(client, console):
    statuses = {client.get("/", HTTP_HOST=f"random-{number}.attacker.example").status_code for number in range(200)}

    assert statuses == {400}
    assert logged_lines(console) == [
        "WARNING django.security.DisallowedHost Request refused: its Host header is not in ALLOWED_HOSTS"
    ]
    assert "attacker" not in console.getvalue()
    assert "Traceback" not in console.getvalue()
