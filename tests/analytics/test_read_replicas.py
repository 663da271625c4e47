"""Statistics from a replica close enough behind, everything else from the primary (`analytics.read_replicas`).

The replica alias here is the test database's own connection under a second name (or, for an
unreachable one, a database file that cannot be opened); its lag is set by hand.
"""

import logging

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.utils import timezone

from analytics import read_replicas
from analytics.models import DailyRollup, Pageview, Site, VisitorSalt
from analytics.read_replicas import (
    ReplicaRouter,
    choose_statistics_alias,
    pinned_to_primary,
    replica_lags,
    statistics_alias,
    statistics_reads,
)
from sharing.models import ShareToken
from tests.factories import ShareTokenFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning"),
]


def add_alias(settings, alias: str, settings_dict: dict, *, same_connection: bool) -> None:
    settings.DATABASES = {**settings.DATABASES, alias: settings_dict}
    connections.settings[alias] = settings_dict
    if same_connection:
        connections[alias] = connections[DEFAULT_DB_ALIAS]


@pytest.fixture
def lags(monkeypatch):
    """Lag in seconds per replica alias, as the test sets it; None: the replica does not answer."""
    measured: dict[str, float | None] = {}

    def lag_of(alias: str) -> float:
        if measured[alias] is None:
            raise OperationalError("connection refused")
        return measured[alias]

    monkeypatch.setattr(read_replicas, "replica_lag_seconds", lag_of)
    return measured


@pytest.fixture
def replica(settings, lags):
    add_alias(settings, "replica1", connections.settings[DEFAULT_DB_ALIAS], same_connection=True)
    lags["replica1"] = 0.0
    replica_lags.forget()
    yield "replica1"
    del connections["replica1"]
    del connections.settings["replica1"]
    replica_lags.forget()


def test_without_replicas_statistics_are_read_from_the_primary():
    with statistics_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert ReplicaRouter().db_for_read(DailyRollup) == DEFAULT_DB_ALIAS


def test_statistics_tables_are_read_from_a_replica_within_its_lag_limit(replica, lags, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    lags[replica] = 9.5
    router = ReplicaRouter()

    with statistics_reads() as alias:
        assert alias == replica
        assert statistics_alias() == replica
        assert router.db_for_read(DailyRollup) == replica
        assert router.db_for_read(Pageview) == replica
        assert router.db_for_read(ShareToken) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Site) == DEFAULT_DB_ALIAS
        assert router.db_for_read(VisitorSalt) == DEFAULT_DB_ALIAS
        assert router.db_for_write(DailyRollup) == DEFAULT_DB_ALIAS

    assert statistics_alias() == DEFAULT_DB_ALIAS
    assert router.db_for_read(DailyRollup) == DEFAULT_DB_ALIAS


def test_a_replica_past_the_limit_is_skipped_and_the_fallback_is_logged(replica, lags, settings, caplog):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    lags[replica] = 10.5

    with caplog.at_level(logging.WARNING, logger="glimpse.replicas"), statistics_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS

    assert [record.getMessage() for record in caplog.records] == [
        "No read replica is usable (unreachable or more than 10 s behind): statistics are read from the primary"
    ]


def test_reads_move_back_to_the_replica_once_it_catches_up(replica, lags, settings, monkeypatch):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr(read_replicas.time, "monotonic", lambda: clock[0])
    lags[replica] = 30.0
    assert choose_statistics_alias() == DEFAULT_DB_ALIAS

    lags[replica] = 0.2
    still_cached = choose_statistics_alias()
    clock[0] += 1.0
    measured_again = choose_statistics_alias()

    assert (still_cached, measured_again) == (DEFAULT_DB_ALIAS, replica)


def test_an_unreachable_replica_is_skipped_for_a_usable_one(settings, lags):
    add_alias(settings, "replica1", dict(connections.settings[DEFAULT_DB_ALIAS]), same_connection=False)
    add_alias(settings, "replica2", connections.settings[DEFAULT_DB_ALIAS], same_connection=True)
    lags.update({"replica1": None, "replica2": 3.0})
    replica_lags.forget()
    try:
        chosen = {choose_statistics_alias() for _ in range(20)}
        unreachable_lag = replica_lags.lag("replica1")
    finally:
        for alias in ["replica1", "replica2"]:
            del connections[alias]
            del connections.settings[alias]
        replica_lags.forget()

    assert chosen == {"replica2"}
    assert unreachable_lag is None


def test_an_owner_pinned_after_a_write_reads_the_primary(replica):
    with pinned_to_primary(), statistics_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
    with pinned_to_primary(False), statistics_reads() as alias:
        assert alias == replica


def test_the_alias_is_chosen_once_per_block_and_kept_by_nested_blocks(replica, lags, settings, monkeypatch):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    with statistics_reads() as outer:
        lags[replica] = 60.0
        replica_lags.forget()
        with statistics_reads() as inner:
            assert (outer, inner, statistics_alias()) == (replica, replica, replica)


def test_a_revoked_link_is_refused_on_the_next_request_and_its_token_never_read_from_a_replica(
    client, replica, monkeypatch, site
):
    share_token = ShareTokenFactory(site=site)
    raw = share_token.raw_token
    routed: list[tuple[str, str]] = []
    real = ReplicaRouter.db_for_read

    def spying(self, model, **hints):
        alias = real(self, model, **hints)
        routed.append((model._meta.label, alias))
        return alias

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spying)

    first = client.get("/api/public/stats", {"token": raw, "period": "7d"})
    ShareToken.objects.filter(pk=share_token.pk).update(revoked_at=timezone.now())
    second = client.get("/api/public/stats", {"token": raw, "period": "7d"})

    assert (first.status_code, second.status_code) == (200, 404)
    assert ("analytics.DailyRollup", replica) in routed or ("analytics.HourlyRollup", replica) in routed
    assert not [label for label, alias in routed if alias != DEFAULT_DB_ALIAS and not label.startswith("analytics.")]
    assert not [label for label, alias in routed if alias != DEFAULT_DB_ALIAS and label == "analytics.Site"]


@pytest.mark.postgres
def test_the_lag_query_reads_a_server_that_replays_nothing_as_not_behind():
    assert read_replicas.LAG_SQL.startswith("SELECT CASE WHEN NOT pg_is_in_recovery()")
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(read_replicas.LAG_SQL)
        assert float(cursor.fetchone()[0]) == 0.0
