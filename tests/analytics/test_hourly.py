"""The last 24 hours on clock hours, counted by hand.

"Now" is 2026-03-18 15:30 UTC (the site on UTC), so the window is [03-17 15:30, 03-18 15:30): the clock
hours 03-17 15:00 (counted from 15:30), 16:00 … 03-18 14:00 (23 whole hours) and 03-18 15:00 (up to 15:30),
25 in all; hour k starts at 03-17 15:00 + k h. From tests/analytics/traffic.py, inside the window: visitor 1
at 03-18 10:00, 10:05, 10:20 (hour 19, 10:00) and visitor 2 at 11:00 (hour 20). Visitor 3's pageviews of
03-17 09:00-10:00 are before the window.
"""

import datetime as dt
import zoneinfo

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


def test_clock_hours_with_the_partial_first_and_running_hour_and_the_hand_counted_numbers(site):
    hours = hourly_counts(site=site, now=NOW)

    assert len(hours) == 25
    first, second, last = hours[0], hours[1], hours[-1]
    assert (first.start, first.counted_from, first.counted_until, first.partial) == (
        utc("2026-03-17T15:00"),
        utc("2026-03-17T15:30"),
        utc("2026-03-17T16:00"),
        True,
    )
    assert (second.start, second.counted_from, second.counted_until, second.partial) == (
        utc("2026-03-17T16:00"),
        utc("2026-03-17T16:00"),
        utc("2026-03-17T17:00"),
        False,
    )
    assert (last.start, last.counted_from, last.counted_until, last.partial) == (
        utc("2026-03-18T15:00"),
        utc("2026-03-18T15:00"),
        utc("2026-03-18T15:30"),
        True,
    )
    assert [row.partial for row in hours[1:-1]] == [False] * 23
    counted = {index: (row.pageviews, row.unique_visitors) for index, row in enumerate(hours) if row.pageviews}
    assert counted == {19: (3, 1), 20: (1, 1)}
    assert hours[19].start == utc("2026-03-18T10:00")


def test_the_hours_add_up_to_the_24_hour_pageviews(site):
    hours = hourly_counts(site=site, now=NOW)

    assert sum(row.pageviews for row in hours) == site_stats(site=site, period="24h", now=NOW).pageviews == 4


def test_a_pageview_at_the_window_start_is_in_the_first_hour_and_one_at_now_is_outside(db):
    site = SiteFactory(domain="edges.example")
    for visitor, moment in [
        (1, "2026-03-17T15:29:59"),
        (2, "2026-03-17T15:30"),
        (3, "2026-03-18T15:29:59"),
        (4, "2026-03-18T15:30"),
    ]:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path="/")

    hours = hourly_counts(site=site, now=NOW)

    # 15:29:59 on the 17th is in the first clock hour but before the window: not counted.
    assert (hours[0].pageviews, hours[-1].pageviews, sum(row.pageviews for row in hours)) == (1, 1, 2)


def test_a_window_starting_on_the_hour_has_24_whole_hours_at_a_half_hour_offset(db):
    site = SiteFactory(domain="kolkata.example", timezone="Asia/Kolkata")

    hours = hourly_counts(site=site, now=NOW)

    # 15:30 UTC is 21:00 in Kolkata (UTC+5:30): the window starts on a clock hour there.
    assert len(hours) == 24
    assert hours[0].start.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert (hours[0].start.hour, hours[0].start.minute) == (21, 0)
    assert not any(row.partial for row in hours)
    assert [row.pageviews for row in hours] == [0] * 24


def test_hours_are_clock_hours_at_a_quarter_hour_offset(db):
    site = SiteFactory(domain="kathmandu.example", timezone="Asia/Kathmandu")
    record_pageview(site=site, timestamp=utc("2026-03-17T15:31"), visitor_id=1, path="/")  # 21:16 there

    hours = hourly_counts(site=site, now=NOW)

    # 15:30 UTC is 21:15 in Kathmandu (UTC+5:45): 21:00 counted from 21:15, 23 whole hours, 21:00 up to 21:15.
    assert len(hours) == 25
    assert [(row.start.hour, row.start.minute) for row in hours[:3]] == [(21, 0), (22, 0), (23, 0)]
    assert {row.start.minute for row in hours} == {0}
    assert (hours[0].counted_from.hour, hours[0].counted_from.minute) == (21, 15)
    assert (hours[-1].counted_until.hour, hours[-1].counted_until.minute) == (21, 15)
    assert (hours[0].pageviews, hours[0].unique_visitors) == (1, 1)


def test_the_spring_clock_change_skips_no_hour_and_repeats_none(db):
    site = SiteFactory(domain="amsterdam.example", timezone="Europe/Amsterdam")

    # Clocks go from 02:00 CET to 03:00 CEST on 29 March 2026; now is 12:30 UTC, 14:30 CEST.
    hours = hourly_counts(site=site, now=utc("2026-03-29T12:30"))

    assert [row.start.hour for row in hours] == [*range(13, 24), 0, 1, *range(3, 15)]
    assert hours[0].start.tzinfo == zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert (hours[0].counted_from.hour, hours[0].counted_from.minute) == (13, 30)
