"""The previous period: same length, ending where the current one starts, counted by the same rules.

The traffic is tests/analytics/traffic.py ("now" is Wednesday 2026-03-18 15:30 UTC, site on UTC).
Counted by hand:
- 7d is 03-12..03-18 up to 15:30; the previous 7 days are 03-05..03-11 up to 15:30, which leaves out
  visitor 5's pageview at 03-11 23:59: nothing.
- 24h is 03-17 15:30 to now; the previous 24 hours, 03-16 15:30 to 03-17 15:30, hold visitor 3's three
  pageviews of 03-17 (sessions C, 600 s, and D, a bounce): 1 visitor, 3 pageviews, 50.0%, 300.0 s.
- 30d is 02-17..03-18; the 30 days before (01-18..02-16) are empty.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.comparisons import (
    Change,
    headline_changes,
    percent_change,
    points_change,
    previous_site_stats,
    previous_window,
)
from analytics.counting import read_days
from analytics.periods import Period
from analytics.selectors import site_stats
from tests.analytics.test_read_snapshot import in_another_connection
from tests.analytics.traffic import record_visits, utc
from tests.factories import SiteFactory

NOW = utc("2026-03-18T15:30")


@pytest.fixture
def site(visited_site):
    return visited_site


def headline(stats) -> tuple:
    return (stats.unique_visitors, stats.pageviews, stats.bounce_rate, stats.avg_session_duration)


def test_the_previous_seven_days_end_at_the_same_time_of_day_a_week_ago(site):
    window = previous_window(Period.DAYS_7, now=NOW, tz=site.tzinfo)

    assert window.dates == tuple(dt.date(2026, 3, day) for day in range(5, 12))
    assert (window.start, window.end) == (utc("2026-03-05T00:00"), utc("2026-03-11T15:30"))


def test_the_previous_24_hours_end_where_the_last_24_start(site):
    window = previous_window(Period.HOURS_24, now=NOW, tz=site.tzinfo)

    assert (window.start, window.end) == (utc("2026-03-16T15:30"), utc("2026-03-17T15:30"))


@pytest.mark.parametrize(
    ("period", "expected", "days"),
    [
        ("7d", (0, 0, 0.0, 0.0), 7),
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

    # 15:30 UTC is 00:30 on the 19th in Tokyo: the current week is 13-19 March, the previous one 6-12,
    # up to 00:30 on the 12th (15:30 UTC on the 11th).
    assert window.dates[0] == dt.date(2026, 3, 6) and window.dates[-1] == dt.date(2026, 3, 12)
    assert (window.start, window.end) == (utc("2026-03-05T15:00"), utc("2026-03-11T15:30"))


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (4, 1, 300),
        (1, 4, -75),
        (3, 3, 0),
        (1004, 1000, 0),
        (1006, 1000, 1),
        (994, 1000, -1),
        (5, 0, None),
        (0, 0, None),
    ],
)
def test_percent_change_is_whole_percent_and_none_without_a_previous_value(current, previous, expected):
    assert percent_change(current, previous) == expected


def test_a_previous_day_period_reads_no_list_rows(site):
    """Only its headline numbers and days are shown: its lists would be summed from blocks for nothing."""
    with CaptureQueriesContext(connection) as queries:
        stats = previous_site_stats(site=site, period="7d", now=NOW)

    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "analytics_breakdown" not in read
    assert "analytics_periodtotal" not in read
    assert (stats.pages, stats.referrers, stats.countries) == ([], [], [])
    assert headline(stats) == (0, 0, 0.0, 0.0)


# --- A flat week: every local day the same visits at the same local times ---------------------------------------
# Each day: a visitor with two pageviews at 00:10 and 00:20 (one session, 600 s), one bouncing at 08:30 and one
# bouncing at 18:00: 3 visitors, 4 pageviews, 3 sessions, 2 bounces, 600 s. Only visits before "now" are recorded.
FLAT_DAY = [("00:10", 0), ("00:20", 0), ("08:30", 1), ("18:00", 2)]  # (local time, which of the day's visitors)


def flat_weeks(site, *, first: dt.date, now: dt.datetime) -> None:
    tz = site.tzinfo
    visits = []
    for offset in range((now.astimezone(tz).date() - first).days + 1):
        day = first + dt.timedelta(days=offset)
        for clock, visitor in FLAT_DAY:
            moment = dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=tz)
            if moment < now:
                stamp = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
                visits.append((offset * 3 + visitor + 1, stamp, "/", "direct", "desktop", "Chrome", "US"))
    record_visits(site, visits)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 00:05: six whole days and nothing of today; 18 sessions, 12 bounces, 3,600 s.
        (utc("2026-03-18T00:05"), (18, 24, 66.7, 200.0)),
        # 12:00: six whole days and today's 00:10, 00:20 and 08:30; 20 sessions, 13 bounces, 4,200 s.
        (utc("2026-03-18T12:00"), (20, 27, 65.0, 210.0)),
    ],
)
def test_a_flat_week_reads_the_same_as_the_week_before_at_any_time_of_day(db, now, expected):
    site = SiteFactory(domain="flat.example")
    flat_weeks(site, first=dt.date(2026, 3, 1), now=now)

    current = site_stats(site=site, period="7d", now=now)
    previous = previous_site_stats(site=site, period="7d", now=now)

    assert headline(current) == headline(previous) == expected
    assert headline_changes(current=current, previous=previous) == {
        "unique_visitors": Change(0),
        "pageviews": Change(0),
        "bounce_rate": Change(0.0, points=True),
        "avg_session_duration": Change(0),
    }


def test_across_the_spring_clock_change_the_previous_week_ends_at_the_same_wall_clock_time(db):
    """Berlin, Thursday 2 April 2026 09:00 CEST (07:00 UTC): clocks went forward on 29 March. The previous week is
    20-26 March up to 09:00 CET on the 26th, 08:00 UTC; 168 hours earlier would be 08:00 CET and miss 08:30."""
    site = SiteFactory(domain="berlin.example", timezone="Europe/Berlin")
    now = utc("2026-04-02T07:00")
    flat_weeks(site, first=dt.date(2026, 3, 15), now=now)

    window = previous_window(Period.DAYS_7, now=now, tz=site.tzinfo)
    current = site_stats(site=site, period="7d", now=now)
    previous = previous_site_stats(site=site, period="7d", now=now)

    assert (window.start, window.end) == (utc("2026-03-19T23:00"), utc("2026-03-26T08:00"))
    assert window.dates == tuple(dt.date(2026, 3, day) for day in range(20, 27))
    assert headline(current) == headline(previous) == (20, 27, 65.0, 210.0)
    assert [day.pageviews for day in previous.daily] == [4, 4, 4, 4, 4, 4, 3]


def test_a_site_west_of_utc_compares_its_own_local_days(db):
    """New York (EDT, UTC-4) on Wednesday 18 March 2026 at 12:00 local (16:00 UTC)."""
    site = SiteFactory(domain="ny.example", timezone="America/New_York")
    now = utc("2026-03-18T16:00")
    flat_weeks(site, first=dt.date(2026, 3, 1), now=now)

    window = previous_window(Period.DAYS_7, now=now, tz=site.tzinfo)
    previous = previous_site_stats(site=site, period="7d", now=now)

    assert (window.start, window.end) == (utc("2026-03-05T05:00"), utc("2026-03-11T16:00"))
    assert headline(site_stats(site=site, period="7d", now=now)) == headline(previous) == (20, 27, 65.0, 210.0)


def test_without_anything_in_the_previous_window_there_is_no_change(db):
    site = SiteFactory(domain="new.example")
    now = utc("2026-03-18T12:00")
    flat_weeks(site, first=dt.date(2026, 3, 15), now=now)

    changes = headline_changes(
        current=site_stats(site=site, period="7d", now=now),
        previous=previous_site_stats(site=site, period="7d", now=now),
    )

    assert changes == {
        "unique_visitors": Change(None),
        "pageviews": Change(None),
        "bounce_rate": Change(None, points=True),
        "avg_session_duration": Change(None),
    }
    assert {change.direction for change in changes.values()} == {0}


@pytest.mark.parametrize(
    ("figure", "direction"), [(12, 1), (-4, -1), (0, 0), (0.0, 0), (0.1, 1), (-0.1, -1), (None, 0)]
)
def test_the_direction_of_a_change_is_the_sign_of_its_rounded_figure(figure, direction):
    assert Change(figure).direction == direction


@pytest.mark.parametrize(("current", "previous", "expected"), [(33.4, 33.3, 0.1), (50.0, 50.0, 0.0), (0.3, 0.1, 0.2)])
def test_points_change_is_one_decimal(current, previous, expected):
    assert points_change(current, previous) == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_committing_between_the_previous_windows_reads_is_in_all_of_it_or_in_none(monkeypatch):
    """The previous 7 days as of 03-18 15:30 are 03-05 … 03-11 up to 15:30: empty in the hand-counted traffic. A batch
    with a pageview on 03-07 (a whole day) and one on 03-11 at 10:00 (the partial day) commits after the day rows
    are read and before the partial day's raw rows are."""
    site = SiteFactory(timezone="UTC")
    record_visits(site)
    batch = [
        (7, "2026-03-07T10:00", "/", "direct", "desktop", "Chrome", "US"),
        (8, "2026-03-11T10:00", "/", "direct", "desktop", "Chrome", "US"),
    ]
    original = read_days.counts_per_date

    def batch_then_partial_day(*args, **kwargs):
        in_another_connection(lambda: record_visits(site, visits=batch))
        return original(*args, **kwargs)

    monkeypatch.setattr(read_days, "counts_per_date", batch_then_partial_day)
    during = previous_site_stats(site=site, period="7d", now=NOW)
    monkeypatch.setattr(read_days, "counts_per_date", original)
    after = previous_site_stats(site=site, period="7d", now=NOW)

    assert headline(during) == (0, 0, 0.0, 0.0)
    assert headline(after) == (2, 2, 100.0, 0.0)
