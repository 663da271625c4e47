"""Drops of foreign-host events are added up in memory and written at most once per interval."""

import datetime as dt

import pytest

from analytics import drop_counts
from analytics.drop_counts import count_dropped_event, write_dropped_events
from analytics.models import Site
from tests.factories import SiteFactory
from tests.outages import database_down

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def counts() -> dict[str, int]:
    return dict(Site.objects.values_list("domain", "dropped_events"))


def test_a_thousand_drops_cost_one_update_per_site_and_interval(django_assert_num_queries):
    one, two = SiteFactory(domain="one.example"), SiteFactory(domain="two.example")

    with django_assert_num_queries(1):  # the first drop of a fresh process is written at once
        count_dropped_event(site_id=one.pk, now=NOW)
    with django_assert_num_queries(0):
        for second in range(999):
            count_dropped_event(site_id=one.pk if second % 3 else two.pk, now=NOW + dt.timedelta(seconds=second))
    assert counts() == {"one.example": 1, "two.example": 0}

    with django_assert_num_queries(2):
        assert write_dropped_events() == 2

    assert counts() == {"one.example": 667, "two.example": 333}
    assert Site.objects.get(domain="one.example").last_dropped_at == NOW + dt.timedelta(seconds=998)


def test_drops_are_written_with_the_next_drop_after_the_interval(monkeypatch):
    site = SiteFactory(domain="one.example")
    clock = [100.0, 101.0, 111.0]
    monkeypatch.setattr(drop_counts.time, "monotonic", lambda: clock.pop(0) if len(clock) > 1 else clock[0])

    count_dropped_event(site_id=site.pk, now=NOW)
    count_dropped_event(site_id=site.pk, now=NOW)
    assert counts() == {"one.example": 1}
    count_dropped_event(site_id=site.pk, now=NOW)

    assert counts() == {"one.example": 3}


def test_drops_wait_in_memory_while_the_database_is_away():
    site = SiteFactory(domain="one.example")

    with database_down():
        count_dropped_event(site_id=site.pk, now=NOW)
        count_dropped_event(site_id=site.pk, now=NOW)
        assert write_dropped_events() == 0

    assert write_dropped_events() == 1
    assert counts() == {"one.example": 2}
