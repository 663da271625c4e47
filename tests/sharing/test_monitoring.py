"""Counters of the share side (`analytics.monitoring`): statistics cache lookups and use-count hand-overs."""

import datetime as dt

from prometheus_client import REGISTRY

from analytics.periods import Period
from sharing.stats_cache import cached_stats
from sharing.usage import hand_over_local_uses, record_token_use

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_first_read_is_a_miss_and_the_next_ones_hits(site):
    hits, misses = (
        value("glimpse_stats_cache_lookups_total", result="hit"),
        value("glimpse_stats_cache_lookups_total", result="miss"),
    )

    for seconds in [0, 1, 2]:
        cached_stats(site=site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=seconds))

    assert value("glimpse_stats_cache_lookups_total", result="miss") - misses == 1
    assert value("glimpse_stats_cache_lookups_total", result="hit") - hits == 2


def test_each_hand_over_of_use_counts_is_counted(share_token):
    before = value("glimpse_use_count_flushes_total", outcome="written")

    record_token_use(share_token, now=NOW)
    record_token_use(share_token, now=NOW + dt.timedelta(milliseconds=10))
    hand_over_local_uses(now=NOW + dt.timedelta(milliseconds=20))

    assert value("glimpse_use_count_flushes_total", outcome="written") - before == 2
