"""The previous period: same length, ending where the current one starts, counted by the same rules.

The traffic is tests/analytics/traffic.py ("now" is Wednesday 2026-03-18 15:30 UTC, site on UTC).
Counted by hand:
- 7d is 03-12..03-18; the previous 7 days are 03-05..03-11, holding only visitor 5's pageview at
  03-11 23:59 (one bouncing session): 1 visitor, 1 pageview, bounce 100.0%, duration 0.
- 24h is 03-17 15:30 to now; the previous 24 hours, 03-16 15:30 to 03-17 15:30, hold visitor 3's three
  pageviews of 03-17 (sessions C, 600 s, and D, a bounce): 1 visitor, 3 pageviews, 50.0%, 300.0 s.
- 30d is 02-17..03-18; the 30 days before (01-18..02-16) are empty.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.comparisons import percent_change, previous_site_stats, previous_window
from analytics.periods import Period
from analytics.selectors import site_stats
from tests.analytics.traffic import record_visits, utc
from tests.factories import SiteFactory

NOW = utc("2026-03-18T15:30")


@pytest.fixture
def site(visited_site):
    return visited_site


def headline(stats) -> tuple:
    return (stats.unique_visitors, stats.pageviews, stats.bounce_rate, stats.avg_session_duration)


def test_the_previous_seven_days_are_the_seven_whole_days_before(site):
    window = previous_window(Period.DAYS_7, now=NOW, tz=site.tzinfo)

    assert window.dates == tuple(dt.date(2026, 3, day) for day in range(5, 12))
    assert (window.start, window.end) == (utc("2026-03-05T00:00"), utc("2026-03-12T00:00"))


def test_the_previous_24_hours_end_where_the_last_24_start(site):
    window = previous_window(Period.HOURS_24, now=NOW, tz=site.tzinfo)

    assert (window.start, window.end) == (utc("2026-03-16T15:30"), utc("2026-03-17T15:30"))


@pytest.mark.parametrize(
    ("period", "expected", "days"),
    [
        ("7d", (1, 1, 100.0, 0.0), 7),
        ("24h", (1, 3, 50.0, 300.0), 2),
        ("30d", (0, 0, 0.0, 0.0), 30),
    ],
)
def test_previous_period_numbers_are_counted_by_hand(site, period, expected, days):
    stats = previous_site_stats(site=site, period=period, now=NOW)

    assert headline(stats) == expected
    assert len(stats.daily) == days


def test_the_current_numbers_are_untouched_by_asking_for_the_previous_ones(site):
    before = site_stats(site=site, period="7d", now=NOW)
    previous_site_stats(site=site, period="7d", now=NOW)

    assert headline(site_stats(site=site, period="7d", now=NOW)) == headline(before) == (4, 8, 60.0, 360.0)


def test_in_a_zone_ahead_of_utc_the_previous_days_are_local_days(db):
    site = SiteFactory(domain="tokyo.example", timezone="Asia/Tokyo")
    record_visits(site)

    window = previous_window(Period.DAYS_7, now=NOW, tz=site.tzinfo)

    # 15:30 UTC is 00:30 on the 19th in Tokyo: the current week is 13-19 March, the previous one 6-12.
    assert window.dates[0] == dt.date(2026, 3, 6) and window.dates[-1] == dt.date(2026, 3, 12)
    assert window.start == utc("2026-03-05T15:00")


@pytest.mark.parametrize(
    ("current", "previous", "expected"), [(4, 1, 300.0), (1, 4, -75.0), (3, 3, 0.0), (5, 0, None), (0, 0, None)]
)
def test_percent_change(current, previous, expected):
    assert percent_change(current, previous) == expected


def test_a_previous_day_period_reads_no_list_rows(site):
    """Only its headline numbers and days are shown: its lists would be summed from blocks for nothing."""
    with CaptureQueriesContext(connection) as queries:
        stats = previous_site_stats(site=site, period="7d", now=NOW)

    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "analytics_breakdown" not in read
    assert "analytics_periodtotal" not in read
    assert (stats.pages, stats.referrers, stats.countries) == ([], [], [])
    assert headline(stats) == (1, 1, 100.0, 0.0)
