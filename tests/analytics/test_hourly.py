"""The last 24 hours in hourly buckets, counted by hand.

"Now" is 2026-03-18 15:30 UTC, so the window starts 2026-03-17 15:30 and bucket k covers
[15:30 + k h, 16:30 + k h). From tests/analytics/traffic.py, inside the window: visitor 1 at
03-18 10:00, 10:05, 10:20 (bucket 18, [09:30, 10:30)) and visitor 2 at 11:00 (bucket 19).
Visitor 3's pageviews of 03-17 09:00-10:00 are before the window.
"""

import datetime as dt

import pytest

from analytics.hourly import hourly_counts
from analytics.selectors import site_stats
from analytics.services import record_pageview
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

NOW = utc("2026-03-18T15:30")


@pytest.fixture
def site(visited_site):
    return visited_site


def test_24_buckets_zero_filled_with_the_hand_counted_hours(site):
    hours = hourly_counts(site=site, now=NOW)

    assert len(hours) == 24
    assert hours[0].start == utc("2026-03-17T15:30")
    assert hours[-1].start == utc("2026-03-18T14:30")
    counted = {index: (row.pageviews, row.unique_visitors) for index, row in enumerate(hours) if row.pageviews}
    assert counted == {18: (3, 1), 19: (1, 1)}


def test_the_hours_add_up_to_the_24_hour_pageviews(site):
    hours = hourly_counts(site=site, now=NOW)

    assert sum(row.pageviews for row in hours) == site_stats(site=site, period="24h", now=NOW).pageviews == 4


def test_a_pageview_at_the_window_start_is_in_the_first_hour_and_one_at_now_is_outside(db):
    site = SiteFactory(domain="edges.example")
    for visitor, moment in [(1, "2026-03-17T15:30"), (2, "2026-03-18T15:29:59"), (3, "2026-03-18T15:30")]:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path="/")

    hours = hourly_counts(site=site, now=NOW)

    assert (hours[0].pageviews, hours[-1].pageviews, sum(row.pageviews for row in hours)) == (1, 1, 2)


def test_hours_are_labelled_in_the_site_time_zone_even_at_a_half_hour_offset(db):
    site = SiteFactory(domain="kolkata.example", timezone="Asia/Kolkata")

    hours = hourly_counts(site=site, now=NOW)

    assert hours[0].start.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert (hours[0].start.hour, hours[0].start.minute) == (21, 0)
    assert [row.pageviews for row in hours] == [0] * 24
