"""The cache and the event stream reach Redis through Sentinel (REDIS_SENTINELS), on the primary it names."""

import json
import subprocess
import time

import pytest
import redis as redis_py
from django.core.cache import cache
from django.test import override_settings

from analytics.event_queue import STREAM, queue_connection
from tests.factories import SiteFactory
from tests.private_redis import free_port, running_private_redis

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def primary(tmp_path):
    (tmp_path / "primary").mkdir()
    yield from running_private_redis(directory=tmp_path / "primary", append_only=False)


@pytest.fixture
def sentinel(tmp_path, primary):
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\nlogfile {tmp_path / 'sentinel.log'}\n"
        f"sentinel monitor glimpse 127.0.0.1 {primary.port} 1\n"
    )
    subprocess.run(["redis-server", str(config), "--sentinel", "--daemonize", "yes"], check=True)
    client = redis_py.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 5
    while True:
        try:
            if client.sentinel_get_master_addr_by_name("glimpse"):
                break
        except redis_py.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the sentinel did not start")
        time.sleep(0.05)
    yield port
    client.shutdown(nosave=True)


def test_cache_and_event_stream_work_through_a_sentinel(client, primary, sentinel):
    SiteFactory(domain="example.com")
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://glimpse/0",
            "KEY_PREFIX": "glimpse",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": [("127.0.0.1", sentinel)],
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    body = json.dumps({"domain": "example.com", "url": "https://example.com/", "referrer": ""})
    sentinels = [("127.0.0.1", sentinel)]
    with override_settings(
        CACHES=caches, INGEST_QUEUE=True, QUEUE_REDIS_URL="redis://glimpse/0", REDIS_SENTINELS=sentinels
    ):
        queue_connection.forget()
        cache.set("greeting", "hello", timeout=60)
        response = client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT=FIREFOX)
        read_back = cache.get("greeting")
    queue_connection.forget()

    direct = redis_py.Redis(host="127.0.0.1", port=primary.port)
    assert response.status_code == 202
    assert read_back == "hello"
    assert direct.xlen(STREAM) == 1
    assert direct.exists("glimpse:1:greeting") == 1
