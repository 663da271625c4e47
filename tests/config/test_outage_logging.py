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


def stats_read_failing_with(error: Exception, *, client, monkeypatch):
    """A public stats read whose statistics raise `error` when computed."""

    def failing(**kwargs):
        raise error

    monkeypatch.setattr("sharing.stats_cache.site_stats", failing)
    return client.get("/api/public/stats", {"token": ShareTokenFactory().raw_token})


def test_an_api_500_is_logged_once_with_its_traceback(client, console, monkeypatch):
    response = stats_read_failing_with(RuntimeError("database on fire"), client=client, monkeypatch=monkeypatch)

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


def test_a_database_outage_during_a_stats_read_is_one_line_and_a_503(client, console, monkeypatch):
    from django.db import OperationalError

    refused = OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?"
    )

    response = stats_read_failing_with(refused, client=client, monkeypatch=monkeypatch)

    assert response.status_code == 503
    assert json.loads(response.content) == {"error": "Service unavailable, try again shortly"}
    assert logged_lines(console) == ["ERROR django.request Service Unavailable: /api/public/stats"]
    assert "Traceback" not in console.getvalue()


def test_a_rollup_pass_that_cannot_reach_the_database_logs_one_line_without_a_traceback(console, monkeypatch):
    from django.db import OperationalError

    from analytics.management.commands.rollup_stats import Command

    def unreachable(self):
        raise OperationalError("connection to server failed: Connection refused\n\tIs the server running?")

    monkeypatch.setattr(Command, "leased_pass", unreachable)

    Command().run_pass()

    assert logged_lines(console) == [
        "WARNING glimpse.rollups A pass of the rollup worker failed on the database; retrying on the next pass: "
        "connection to server failed: Connection refused Is the server running?"
    ]
    assert "Traceback" not in console.getvalue()
