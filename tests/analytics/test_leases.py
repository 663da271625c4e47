"""A pass lease: one holder at a time, renewable by its holder, free again when given back or expired."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from analytics.leases import release_lease, take_lease
from analytics.management.commands.rollup_stats import PASS_LEASE
from analytics.models import PassLease

pytestmark = pytest.mark.django_db


def test_a_lease_is_held_by_one_holder_until_given_back():
    assert take_lease(name="pass", holder="host-a-1", seconds=60) is True
    assert take_lease(name="pass", holder="host-b-7", seconds=60) is False
    assert take_lease(name="pass", holder="host-a-1", seconds=60) is True

    release_lease(name="pass", holder="host-b-7")
    assert take_lease(name="pass", holder="host-b-7", seconds=60) is False
    release_lease(name="pass", holder="host-a-1")
    assert take_lease(name="pass", holder="host-b-7", seconds=60) is True


def test_an_expired_lease_goes_to_the_next_holder():
    assert take_lease(name="pass", holder="killed-1", seconds=60) is True
    PassLease.objects.filter(name="pass").update(expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    assert take_lease(name="pass", holder="host-b-7", seconds=60) is True
    assert PassLease.objects.get(name="pass").holder == "host-b-7"


def test_leases_of_different_passes_are_independent():
    assert take_lease(name="one", holder="host-a-1", seconds=60) is True
    assert take_lease(name="two", holder="host-b-7", seconds=60) is True


def test_rollup_stats_skips_its_pass_while_another_worker_holds_the_lease():
    take_lease(name=PASS_LEASE, holder="other-machine-42", seconds=600)
    out = io.StringIO()

    call_command("rollup_stats", stdout=out)

    assert out.getvalue() == "Another worker is running this pass; skipped.\n"
    assert PassLease.objects.get(name=PASS_LEASE).holder == "other-machine-42"


def test_rollup_stats_gives_its_lease_back_after_its_pass():
    out = io.StringIO()

    call_command("rollup_stats", stdout=out)

    assert out.getvalue().startswith("Counted 0 site-day(s) and moved or built 0 period total(s) in ")
    assert PassLease.objects.get(name=PASS_LEASE).holder == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_workers_asking_at_the_same_moment_exactly_one_gets_the_lease():
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def ask(holder: str) -> None:
        try:
            barrier.wait()
            results.append(take_lease(name="pass", holder=holder, seconds=60))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(f"host-{n}-1",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, False, False, True]
