"""How the environment shapes the connections: a pooler in front, read replicas beside the primary, Redis Sentinel."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTING = (
    "import json, sys, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(getattr(settings, sys.argv[1]), default=str))"
)


def setting(name: str, **environment: str):
    """A setting as a process started with exactly these variables (and DEBUG, for a key) would see it."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **environment}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTING, name], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def databases(**environment: str) -> dict:
    return setting("DATABASES", **environment)


def test_behind_a_transaction_pooler_nothing_outlives_a_transaction():
    pooled = databases(DATABASE_URL="postgres://glimpse@127.0.0.1:6432/glimpse", DATABASE_BEHIND_POOLER="true")[
        "default"
    ]
    direct = databases(DATABASE_URL="postgres://glimpse@127.0.0.1:5432/glimpse")["default"]

    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["OPTIONS"] == {"prepare_threshold": None}
    assert direct["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert direct["OPTIONS"] == {
        "prepare_threshold": 5,
        "options": "-c max_parallel_workers_per_gather=0 -c jit=off",
    }


def test_a_pooler_that_keeps_prepared_statements_may_have_them_back():
    pooled = databases(
        DATABASE_URL="postgres://glimpse@127.0.0.1:6432/glimpse",
        DATABASE_BEHIND_POOLER="true",
        DATABASE_PREPARE_THRESHOLD="5",
    )["default"]

    assert pooled["OPTIONS"] == {"prepare_threshold": 5}


def test_each_replica_url_becomes_an_alias_with_the_primarys_settings_mirrored_in_tests():
    configured = databases(
        DATABASE_URL="postgres://glimpse@10.0.0.1:5432/glimpse",
        DATABASE_REPLICA_URLS="postgres://reader@10.0.0.2:5432/glimpse,postgres://reader@10.0.0.3/glimpse",
    )

    assert sorted(configured) == ["default", "replica1", "replica2"]
    second = configured["replica2"]
    assert (second["HOST"], second["USER"], second["NAME"]) == ("10.0.0.3", "reader", "glimpse")
    assert second["OPTIONS"] == {
        "prepare_threshold": 5,
        "options": "-c max_parallel_workers_per_gather=0 -c jit=off",
        "connect_timeout": 2,
    }
    assert second["CONN_MAX_AGE"] == 60
    assert second["TEST"]["MIRROR"] == "default"


def test_no_replica_urls_means_the_primary_alone():
    assert sorted(databases(DATABASE_URL="postgres://glimpse@10.0.0.1:5432/glimpse")) == ["default"]


def test_with_sentinels_the_cache_asks_them_for_the_primary_of_the_named_service():
    caches = setting("CACHES", REDIS_URL="redis://glimpse/0", REDIS_SENTINELS="10.0.0.5:26379,[::1]:26380")

    options = caches["default"]["OPTIONS"]
    assert caches["default"]["LOCATION"] == "redis://glimpse/0"
    assert options["CLIENT_CLASS"] == "django_redis.client.DefaultClient"
    assert options["CONNECTION_FACTORY"] == "django_redis.pool.SentinelConnectionFactory"
    assert options["SENTINELS"] == [["10.0.0.5", 26379], ["::1", 26380]]
