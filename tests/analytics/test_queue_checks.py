"""A queue Redis that would lose accepted events is named at start, and refused when the setting says so."""

import logging
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from analytics.queue_checks import check_queue_durability, durability_problems
from analytics.queue_redis import queue_client
from tests.private_redis import running_private_redis

NO_AOF = "has no append-only file, so a restart loses every queued event (set appendonly yes)"
EVICTING = (
    "evicts keys at maxmemory (maxmemory-policy allkeys-lru), queued events included "
    "(set maxmemory-policy noeviction, or give the queue its own Redis with QUEUE_REDIS_URL)"
)


def queue_redis(tmp_path, *, append_only: bool, policy: str = "noeviction"):
    for redis in running_private_redis(directory=tmp_path, append_only=append_only):
        command = ["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port), "config", "set", "maxmemory-policy", policy]
        subprocess.run(command, check=True, capture_output=True)
        with override_settings(QUEUE_REDIS_URL=redis.url, INGEST_QUEUE=True):
            yield redis


@pytest.fixture
def durable(tmp_path):
    yield from queue_redis(tmp_path, append_only=True)


@pytest.fixture
def forgetful(tmp_path):
    yield from queue_redis(tmp_path, append_only=False, policy="allkeys-lru")


def test_a_redis_with_an_append_only_file_and_no_eviction_keeps_its_events(durable):
    assert durability_problems(queue_client()) == []


def test_a_redis_without_append_only_file_and_evicting_is_named_with_both_fixes(forgetful):
    assert durability_problems(queue_client()) == [NO_AOF, EVICTING]


def test_warn_logs_one_error_and_goes_on(forgetful, caplog):
    with override_settings(QUEUE_DURABILITY_CHECK="warn"), caplog.at_level(logging.ERROR, logger="glimpse.ingest"):
        check_queue_durability()

    assert [record.getMessage() for record in caplog.records] == [
        f"The event queue's Redis (QUEUE_REDIS_URL) {NO_AOF}; it {EVICTING}. Accepted events can be lost."
    ]


def test_refuse_stops_the_process(forgetful):
    with override_settings(QUEUE_DURABILITY_CHECK="refuse"), pytest.raises(ImproperlyConfigured, match="appendonly"):
        check_queue_durability()


def test_refuse_lets_a_durable_redis_through(durable, caplog):
    with override_settings(QUEUE_DURABILITY_CHECK="refuse"), caplog.at_level(logging.ERROR):
        check_queue_durability()

    assert caplog.records == []


def test_off_checks_nothing(forgetful, caplog):
    with override_settings(QUEUE_DURABILITY_CHECK="off"), caplog.at_level(logging.ERROR):
        check_queue_durability()

    assert caplog.records == []


def test_an_unknown_mode_is_refused():
    with override_settings(QUEUE_DURABILITY_CHECK="maybe"), pytest.raises(ImproperlyConfigured, match="maybe"):
        check_queue_durability()


def test_a_redis_that_does_not_answer_is_unchecked_not_fine():
    with override_settings(QUEUE_REDIS_URL="redis://127.0.0.1:1/0", INGEST_QUEUE=True):
        (problem,) = durability_problems(queue_client())

    assert problem.startswith("could not be checked")
