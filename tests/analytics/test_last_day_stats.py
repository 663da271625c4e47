"""`24h` from the hourly rollups, counted by hand.

The site is in UTC and "now" is 2026-11-27 12:30, so the window is [11-26 12:30, 11-27 12:30),
its first whole hour 11-26 13:00, and 11-27 lies wholly in it (read from its day rows).

- visitor 1 (11-26): /a at 12:15 and 12:40 (one session), /b at 14:05 (a second session);
- visitor 2 (11-26): /c at 12:45 — its latest pageview is in the partial first hour;
- visitor 3 (11-26): /a at 12:20 — before the window;
- visitor 4 (11-27): /a at 09:00 and 09:10.

In the window: pageviews 12:40, 14:05 (v1), 12:45 (v2), 09:00, 09:10 (v4) = 5; visitors
v1, v2 on 11-26 and v4 on 11-27 = 3. Sessions started in it: v1's second (a bounce, 0 s),
v2's (a bounce, 0 s), v4's (600 s) = 3, bounce rate 2/3 = 66.7%, average 600/3 = 200.0 s.
/a: 12:40 (v1), 09:00 and 09:10 (v4) = 3 pageviews, 2 visitors; /b and /c 1 and 1.
"""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import call_command

from analytics.counting import read_24h
from analytics.counting.hours import HOURLY_KEPT, kept_from, prune_hourly_rollups
from analytics.counting.rebuild import rebuild_site_rollups
from analytics.models import HourlyBreakdown, HourlyRollup, Pageview, Session
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.services import record_pageview
from analytics.stats import DayRow, PageRow
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-11-27T12:30")
TRAFFIC = [
    (1, "2026-11-26T12:15", "/a", "google.com"),
    (1, "2026-11-26T12:40", "/a", "google.com"),
    (1, "2026-11-26T14:05", "/b", "x.com"),
    (2, "2026-11-26T12:45", "/c", "direct"),
    (3, "2026-11-26T12:20", "/a", "direct"),
    (4, "2026-11-27T09:00", "/a", "x.com"),
    (4, "2026-11-27T09:10", "/a", "x.com"),
]


def record(site, traffic) -> None:
    for visitor, moment, path, source in traffic:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path=path, source=source)


@pytest.fixture
def site():
    site = SiteFactory(domain="hours.example", timezone="UTC")
    record(site, TRAFFIC)
    return site


def assert_hand_counted(stats) -> None:
    assert (stats.pageviews, stats.unique_visitors) == (5, 3)
    assert (stats.bounce_rate, stats.avg_session_duration) == (66.7, 200.0)
    assert stats.pages == [PageRow("/a", 3, 2), PageRow("/b", 1, 1), PageRow("/c", 1, 1)]
    assert [(row.source, row.visits) for row in stats.referrers] == [("x.com", 2), ("direct", 1)]
    assert [(row.key, row.count) for row in stats.devices] == [("desktop", 3)]
    assert stats.daily == [DayRow(dt.date(2026, 11, 26), 3, 2), DayRow(dt.date(2026, 11, 27), 2, 1)]


def test_the_last_24_hours_from_hourly_rows_match_the_hand_count(site):
    with mock.patch.object(read_24h, "raw_last_24_hours_stats") as raw:
        stats = site_stats(site=site, period="24h", now=NOW)

    raw.assert_not_called()
    assert_hand_counted(stats)
    assert stats == reference_site_stats(site=site, period="24h", now=NOW)


def test_each_visitor_and_visitor_path_has_one_mark_on_its_latest_pageview(site):
    marked = set(Pageview.objects.filter(last_of_visitor=True).values_list("visitor_id", "timestamp"))
    marked_paths = set(Pageview.objects.filter(last_of_path=True).values_list("visitor_id", "path", "timestamp"))

    assert marked == {
        (1, utc("2026-11-26T14:05")),
        (2, utc("2026-11-26T12:45")),
        (3, utc("2026-11-26T12:20")),
        (4, utc("2026-11-27T09:10")),
    }
    assert marked_paths == {
        (1, "/a", utc("2026-11-26T12:40")),
        (1, "/b", utc("2026-11-26T14:05")),
        (2, "/c", utc("2026-11-26T12:45")),
        (3, "/a", utc("2026-11-26T12:20")),
        (4, "/a", utc("2026-11-27T09:10")),
    }
    assert Session.objects.filter(last_of_device_type=True).count() == 4  # each visitor's latest session


def test_visitors_count_in_the_hour_of_their_latest_pageview(site):
    hours = {(row.hour, row.pageviews, row.visitors, row.sessions) for row in HourlyRollup.objects.filter(site=site)}

    # 12:00 holds v1's 12:15 and 12:40, v2's 12:45 and v3's 12:20: v2 and v3 end there, v1 moved on to 14:00.
    assert hours == {
        (utc("2026-11-26T12:00"), 4, 2, 3),
        (utc("2026-11-26T14:00"), 1, 1, 1),
        (utc("2026-11-27T09:00"), 2, 1, 1),
    }


def test_a_late_pageview_that_starts_a_session_earlier_moves_its_visit_and_keeps_the_count(site):
    record(site, [(4, "2026-11-27T08:45", "/late", "x.com")])  # joins v4's session, which now starts at 08:45

    visits = dict(HourlyBreakdown.objects.filter(site=site, dimension=2, value="x.com").values_list("hour", "visits"))
    stats = site_stats(site=site, period="24h", now=NOW)

    assert visits[utc("2026-11-27T08:00")] == 1 and visits.get(utc("2026-11-27T09:00"), 0) == 0
    assert (stats.pageviews, stats.unique_visitors, stats.avg_session_duration) == (6, 3, 500.0)  # (0+0+1500)/3
    assert stats == reference_site_stats(site=site, period="24h", now=NOW)


def test_a_recount_rebuilds_the_same_hourly_rows_and_marks(site):
    def snapshot():
        return (
            sorted(HourlyRollup.objects.values_list("hour", "day", "pageviews", "visitors", "sessions", "duration")),
            sorted(
                HourlyBreakdown.objects.exclude(pageviews=0, visitors=0, visits=0).values_list(
                    "hour", "day", "dimension", "value", "pageviews", "visitors", "visits"
                )
            ),
            sorted(Pageview.objects.values_list("id", "last_of_visitor", "last_of_path")),
        )

    written = snapshot()
    Pageview.objects.update(last_of_visitor=False, last_of_path=True)  # marks gone astray: the recount mends them
    HourlyRollup.objects.update(visitors=0)
    rebuild_site_rollups(site=site, now=NOW)

    assert snapshot() == written


def test_data_after_now_is_counted_from_raw_rows_and_left_out(site):
    record(site, [(4, "2026-11-27T13:00", "/after", "x.com")])

    stats = site_stats(site=site, period="24h", now=NOW)

    assert_hand_counted(stats)


def test_pruned_hours_send_an_older_window_to_the_raw_rows(site):
    prune_hourly_rollups(now=utc("2026-11-30T12:00"))  # keeps 11-27 12:00 on

    assert not HourlyRollup.objects.filter(hour__lt=utc("2026-11-27T12:00")).exists()
    with mock.patch.object(read_24h, "raw_last_24_hours_stats", wraps=read_24h.raw_last_24_hours_stats) as raw:
        stats = site_stats(site=site, period="24h", now=NOW)

    raw.assert_called_once()
    assert_hand_counted(stats)


def test_a_late_day_window_subtracts_the_hours_before_its_start():
    """Now 11-27 03:30: 11-26 is cut at 04:00, 20 hours after and 4 before, so it is the day minus 00:00-03:59."""
    site = SiteFactory(domain="early.example", timezone="UTC")
    record(
        site,
        [
            (1, "2026-11-26T01:00", "/a", "direct"),  # before the window: in the hours taken away
            (1, "2026-11-26T05:00", "/a", "direct"),  # its latest: in the window
            (2, "2026-11-26T03:10", "/b", "direct"),  # before the window
            (3, "2026-11-26T03:40", "/c", "direct"),  # in the partial first hour
            (4, "2026-11-27T01:00", "/a", "direct"),
        ],
    )
    now = utc("2026-11-27T03:30")

    pieces = read_24h.pieces_for(
        read_24h.window_for(read_24h.Period.HOURS_24, now=now, tz=dt.UTC),
        first_hour=utc("2026-11-26T04:00"),
        tz=dt.UTC,
    )
    stats = site_stats(site=site, period="24h", now=now)

    assert [(piece.day.day, piece.sign, piece.hours is None) for piece in pieces] == [
        (26, 1, True),
        (26, -1, False),
        (27, 1, True),
    ]
    assert (stats.pageviews, stats.unique_visitors) == (3, 3)  # 05:00 (v1), 03:40 (v3), 11-27 01:00 (v4)
    assert stats.pages == [PageRow("/a", 2, 2), PageRow("/c", 1, 1)]
    assert stats == reference_site_stats(site=site, period="24h", now=now)


def test_the_worker_pass_drops_hourly_rows_older_than_three_days_once_a_day(site):
    cutoff = utc("2026-11-27T00:00")

    # 11-26 12:00 and 14:00: 2 totals; value rows at 12:00 /a, /c, google.com, direct, and desktop, "" browser
    # and "" country (v2, v3), at 14:00 /b, x.com and the same three (v1, whose latest session ends there): 12.
    assert prune_hourly_rollups(now=cutoff + HOURLY_KEPT) == 14
    assert prune_hourly_rollups(now=cutoff + HOURLY_KEPT + dt.timedelta(hours=23)) == 0  # not again the same day
    assert kept_from() == cutoff
    assert set(HourlyRollup.objects.values_list("hour", flat=True)) == {utc("2026-11-27T09:00")}


def test_rollup_stats_drops_old_hourly_rows(site):
    call_command("rollup_stats", stdout=io.StringIO())  # the wall clock is days after this traffic

    assert not HourlyRollup.objects.exists() and not HourlyBreakdown.objects.exists()
    assert_hand_counted(site_stats(site=site, period="24h", now=NOW))


def test_a_window_starting_early_in_its_hour_takes_that_hour_minus_its_raw_rows_before_the_start():
    """Now 11-27 12:10: the first hour 12:00-13:00 is its hourly rows minus the raw rows of 12:00-12:10.

    v1 12:02 and 12:20 on /a (one session, started before the window), v2 12:05 on /b (gone by the start),
    v3 12:30 on /c, v4 11-27 08:00 on /a. In the window: 12:20, 12:30 and 08:00; visitors v1, v3 and v4;
    sessions started in it: v3's and v4's, both bounces.
    """
    site = SiteFactory(domain="minus.example", timezone="UTC")
    record(
        site,
        [
            (1, "2026-11-26T12:02", "/a", "direct"),
            (1, "2026-11-26T12:20", "/a", "direct"),
            (2, "2026-11-26T12:05", "/b", "direct"),
            (3, "2026-11-26T12:30", "/c", "direct"),
            (4, "2026-11-27T08:00", "/a", "direct"),
        ],
    )
    now = utc("2026-11-27T12:10")
    window = read_24h.window_for(read_24h.Period.HOURS_24, now=now, tz=dt.UTC)

    first_hour, pieces = read_24h.first_hour_pieces(window, tz=dt.UTC)
    stats = site_stats(site=site, period="24h", now=now)

    assert first_hour == utc("2026-11-26T13:00")
    assert [(piece.sign, piece.raw and (piece.raw.start, piece.raw.end)) for piece in pieces] == [
        (1, None),
        (-1, (utc("2026-11-26T12:00"), utc("2026-11-26T12:10"))),
    ]
    assert (stats.pageviews, stats.unique_visitors, stats.bounce_rate) == (3, 3, 100.0)
    assert stats.pages == [PageRow("/a", 2, 2), PageRow("/c", 1, 1)]
    assert [(row.source, row.visits) for row in stats.referrers] == [("direct", 2)]
    assert stats.daily == [DayRow(dt.date(2026, 11, 26), 2, 2), DayRow(dt.date(2026, 11, 27), 1, 1)]
    assert stats == reference_site_stats(site=site, period="24h", now=now)
