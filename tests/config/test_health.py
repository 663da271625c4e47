import ipaddress
import json
import re
import time
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client import REGISTRY

from analytics.event_queue import GROUP, STREAM
from analytics.monitoring import stream_entry_age
from analytics.read_replicas import replica_lags
from config.health import readiness
from tests.private_redis import running_private_redis

TOKEN = "monitoring-secret-for-tests"
METRIC = re.compile(r"glimpse_[a-z_]+")
CLOSED_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6449/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.fixture(autouse=True)
def monitoring(settings):
    settings.MONITORING_TOKEN = TOKEN
    settings.MONITORING_ALLOWED_IPS = []


def as_monitor():
    return {"Authorization": f"Bearer {TOKEN}"}


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_healthz_answers_without_touching_a_database_or_redis(client, settings):
    settings.CACHES = CLOSED_REDIS

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_200_and_names_every_passing_check_for_a_monitoring_client(client):
    response = client.get("/readyz", headers=as_monitor())

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "redis": "ok", "replicas": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_tells_anyone_else_only_the_status(client):
    response = client.get("/readyz", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_it_is_unreachable(client, settings):
    settings.CACHES = CLOSED_REDIS

    response = client.get("/readyz", headers=as_monitor())

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "unreachable (ConnectionError)",
            "replicas": "ok",
        },
    }
    readiness.forget()
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "unavailable"}


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_not_applied(client):
    with connection.cursor() as cursor:
        # Rolled back with the test's transaction.
        cursor.execute("DELETE FROM django_migrations WHERE app = 'sharing' AND name = '0001_initial'")

    response = client.get("/readyz", headers=as_monitor())

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 not applied"


@pytest.mark.django_db
def test_metrics_are_404_without_the_token_or_an_allowed_address(client, settings):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    settings.MONITORING_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
def test_metrics_are_served_to_an_allowed_address(client, settings):
    settings.MONITORING_TOKEN = ""
    settings.MONITORING_ALLOWED_IPS = [ipaddress.ip_network("10.0.0.0/8")]

    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    refused = client.get("/metrics", REMOTE_ADDR="192.0.2.1")

    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain; version=")
    assert refused.status_code == 404


@pytest.mark.django_db
def test_requests_are_counted_by_url_pattern_never_by_path(client):
    before = sample("glimpse_http_requests_total", route="share/<str:token>/", method="GET", status="404")

    client.get("/share/glimpse_not-a-real-token/")
    text = client.get("/metrics", headers=as_monitor()).content.decode()

    after = sample("glimpse_http_requests_total", route="share/<str:token>/", method="GET", status="404")
    assert after - before == 1
    assert "glimpse_not-a-real-token" not in text
    assert 'glimpse_http_request_duration_seconds_bucket{le="+Inf",route="share/<str:token>/"}' in text


def test_a_stream_entry_age_is_read_from_its_id():
    assert stream_entry_age(b"1700000000000-3", now=1_700_000_012.5) == 12.5
    assert stream_entry_age("1700000000000-0", now=1_699_999_999.0) == 0.0
    assert stream_entry_age(None, now=1_700_000_000.0) == 0.0


@pytest.fixture
def private_redis(tmp_path):
    yield from running_private_redis(directory=tmp_path, append_only=False)


@pytest.mark.django_db
@pytest.mark.parametrize("node_offset", [0, -30, 30], ids=["clock right", "clock 30 s behind", "clock 30 s ahead"])
def test_metrics_show_the_event_stream_its_pending_entries_and_their_age_on_redis_s_clock(
    client, settings, private_redis, node_clock, node_offset
):
    settings.CACHES = private_redis.caches
    node_clock(node_offset)
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    ten_seconds_ago = int((time.time() - 10) * 1000)
    redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    for n in range(3):
        redis.xadd(STREAM, {b"e": b"[]"}, id=f"{ten_seconds_ago}-{n}")
    redis.xreadgroup(GROUP, "worker-a", {STREAM: ">"}, count=2)

    text = client.get("/metrics", headers=as_monitor()).content.decode()

    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line[:1] != "#"}
    assert values["glimpse_event_stream_up"] == 1
    assert values["glimpse_event_stream_length"] == 3
    assert values["glimpse_event_stream_pending"] == 2
    assert 10 <= values["glimpse_ingest_lag_seconds"] < 15
    assert 10 <= values["glimpse_event_stream_oldest_pending_age_seconds"] < 15


@pytest.mark.django_db
def test_metrics_say_the_stream_is_down_when_redis_does_not_answer(client, settings):
    settings.CACHES = CLOSED_REDIS

    text = client.get("/metrics", headers=as_monitor()).content.decode()

    assert "glimpse_event_stream_up 0.0" in text
    assert "glimpse_event_stream_length" not in text


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")
def test_a_lagging_replica_degrades_readyz_without_making_it_unready(client, settings, monkeypatch):
    settings.DATABASES = {**settings.DATABASES, "replica1": settings.DATABASES["default"]}
    settings.REPLICA_MAX_LAG_SECONDS = 10
    monkeypatch.setattr(replica_lags, "lag", lambda alias: 31.2)

    response = client.get("/readyz", headers=as_monitor())
    text = client.get("/metrics", headers=as_monitor()).content.decode()

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "ok",
            "replicas": "replica1 31.2 s behind (limit 10 s): statistics read from the primary",
        },
    }
    assert 'glimpse_replica_lag_seconds{replica="replica1"} 31.2' in text


def test_every_metric_of_the_grafana_dashboard_is_one_glimpse_serves():
    served = {
        "glimpse_http_requests_total",
        "glimpse_http_request_duration_seconds_bucket",
        "glimpse_events_total",
        "glimpse_ingest_batch_write_seconds_bucket",
        "glimpse_event_stream_length",
        "glimpse_event_stream_pending",
        "glimpse_event_stream_oldest_pending_age_seconds",
        "glimpse_ingest_lag_seconds",
        "glimpse_event_stream_up",
        "glimpse_stats_cache_lookups_total",
        "glimpse_use_count_flushes_total",
        "glimpse_replica_lag_seconds",
    }
    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy/grafana/glimpse-dashboard.json").read_text())

    used = {
        name for panel in dashboard["panels"] for target in panel["targets"] for name in METRIC.findall(target["expr"])
    }

    assert used == served
