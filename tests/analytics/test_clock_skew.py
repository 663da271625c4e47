"""Several web nodes: an event stamped by a node whose clock runs a few seconds ahead of the reader's changes
neither the cost nor the sense of an answer.

The traffic is the hand-counted table of `tests/analytics/traffic.py` (a UTC site, "now"
2026-03-18 15:30): in the 24 hours before now, visitors 1 and 2 with 4 pageviews on 03-18.
"""

import datetime as dt
import json
from unittest import mock

import pytest
from django.core.cache import cache

from analytics.counting import read_24h, read_days
from analytics.counting.periods import build_period_totals
from analytics.process_state import reset_process_state
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.services import record_pageview
from analytics.stats import PageRow
from tests.analytics.traffic import utc
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-03-18T15:30")


@pytest.fixture
def raw_24h_read():
    with mock.patch.object(read_24h, "raw_last_24_hours_stats", wraps=read_24h.raw_last_24_hours_stats) as spy:
        yield spy


def test_an_event_stamped_seconds_after_the_reader_s_now_counts_without_the_raw_path(traffic_site, raw_24h_read):
    record_pageview(site=traffic_site, timestamp=NOW + dt.timedelta(seconds=3), visitor_id=7, path="/ahead")

    stats = site_stats(site=traffic_site, period="24h", now=NOW)

    assert (stats.pageviews, stats.unique_visitors) == (5, 3)
    assert PageRow("/ahead", 1, 1) in stats.pages
    assert not raw_24h_read.called
    assert stats == reference_site_stats(site=traffic_site, period="24h", now=NOW + dt.timedelta(seconds=4))


def test_a_window_in_the_past_with_later_data_is_counted_from_raw_rows(traffic_site, raw_24h_read):
    earlier = utc("2026-03-18T10:10")  # visitor 1's 10:00 and 10:05; 10:20 and 11:00 come later

    stats = site_stats(site=traffic_site, period="24h", now=earlier)

    assert (stats.pageviews, stats.unique_visitors) == (2, 1)
    assert raw_24h_read.call_count == 1
    assert stats == reference_site_stats(site=traffic_site, period="24h", now=earlier)


def test_tomorrow_s_first_event_from_a_clock_ahead_keeps_the_period_totals_serving(traffic_site):
    build_period_totals(site=traffic_site, now=NOW)
    before_midnight = utc("2026-03-18T23:59:59")
    record_pageview(site=traffic_site, timestamp=utc("2026-03-19T00:00:02"), visitor_id=8, path="/tomorrow")

    with mock.patch.object(read_days, "day_rows_of_period", side_effect=AssertionError("day rows summed")):
        stats = site_stats(site=traffic_site, period="7d", now=before_midnight)

    assert "/tomorrow" not in [row.path for row in stats.pages]
    assert stats == reference_site_stats(site=traffic_site, period="7d", now=before_midnight)


def test_a_node_3_s_behind_reads_what_a_node_3_s_ahead_accepted_on_the_fast_path(
    client, site, node_clock, raw_24h_read
):
    share_token = ShareTokenFactory(site=site)
    node_clock(3)
    accepted = client.post(
        "/api/event",
        data=json.dumps({"domain": "example.com", "url": "https://example.com/ahead"}),
        content_type="text/plain;charset=UTF-8",
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
    )
    assert accepted.status_code == 202

    node_clock(-3)
    behind = client.get("/api/public/stats", {"token": share_token.raw_token, "period": "24h"})
    cache.clear()
    reset_process_state()
    node_clock(3)
    ahead = client.get("/api/public/stats", {"token": share_token.raw_token, "period": "24h"})

    assert (behind.status_code, ahead.status_code) == (200, 200)
    body = behind.json()
    assert (body["pageviews"], body["uniqueVisitors"]) == (1, 1)
    assert body["pages"] == [{"path": "/ahead", "pageviews": 1, "uniqueVisitors": 1}]
    assert body == ahead.json()
    assert not raw_24h_read.called
