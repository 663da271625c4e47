import datetime as dt

import pytest

from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.services import record_pageview
from analytics.stats import CountRow, CountryRow, DayRow, PageRow, SourceRow
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-03-18T15:30")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize("source", ["raw rows", "rollups"])
def test_seven_days_counts_every_metric_by_hand(traffic_site, source):
    if source == "rollups":
        stats = site_stats(site=traffic_site, period="7d", now=NOW)
    else:
        stats = reference_site_stats(site=traffic_site, period="7d", now=NOW)

    assert stats.period == "7d"
    assert stats.unique_visitors == 4
    assert stats.pageviews == 8
    assert stats.bounce_rate == 60.0  # sessions B, D, E of A..E bounce
    assert stats.avg_session_duration == 360.0  # (1200 + 0 + 600 + 0 + 0) / 5
    assert stats.pages == [
        PageRow("/", 4, 3),
        PageRow("/pricing", 2, 2),
        PageRow("/about", 1, 1),
        PageRow("/blog", 1, 1),
    ]
    assert stats.referrers == [SourceRow("direct", 2), SourceRow("google.com", 2), SourceRow("news.ycombinator.com", 1)]
    assert stats.devices == [CountRow("desktop", 2), CountRow("mobile", 1), CountRow("tablet", 1)]
    assert stats.browsers == [
        CountRow("Chrome", 1),
        CountRow("Firefox", 1),
        CountRow("Mobile Safari", 1),
        CountRow("Safari", 1),
    ]
    assert stats.countries == [
        CountryRow("DE", "Germany", 1),
        CountryRow("GB", "United Kingdom", 1),
        CountryRow("US", "United States", 1),
    ]
    assert stats.daily == [
        DayRow(d("2026-03-12"), 0, 0),
        DayRow(d("2026-03-13"), 0, 0),
        DayRow(d("2026-03-14"), 1, 1),
        DayRow(d("2026-03-15"), 0, 0),
        DayRow(d("2026-03-16"), 0, 0),
        DayRow(d("2026-03-17"), 3, 1),
        DayRow(d("2026-03-18"), 4, 2),
    ]


def test_thirty_days_includes_the_visitor_from_before_the_week(traffic_site):
    stats = site_stats(site=traffic_site, period="30d", now=NOW)

    assert (stats.unique_visitors, stats.pageviews) == (5, 9)
    assert stats.bounce_rate == 66.7  # 4 of 6 sessions
    assert stats.avg_session_duration == 300.0  # 1800 s over 6 sessions
    assert stats.pages[0] == PageRow("/", 5, 4)
    assert stats.countries[0] == CountryRow("US", "United States", 2)
    assert stats.devices[0] == CountRow("desktop", 3)
    assert len(stats.daily) == 30
    assert stats.daily[0].date == d("2026-02-17")
    assert stats.daily[-1].date == d("2026-03-18")
    assert [day.date for day in stats.daily if day.pageviews] == [
        d("2026-03-11"),
        d("2026-03-14"),
        d("2026-03-17"),
        d("2026-03-18"),
    ]


def test_last_24_hours_touches_two_dates_and_counts_only_inside_the_window(traffic_site):
    stats = site_stats(site=traffic_site, period="24h", now=NOW)

    assert (stats.unique_visitors, stats.pageviews) == (2, 4)
    assert stats.bounce_rate == 50.0
    assert stats.avg_session_duration == 600.0
    assert stats.daily == [DayRow(d("2026-03-17"), 0, 0), DayRow(d("2026-03-18"), 4, 2)]


def test_24h_window_starts_inclusive_and_ends_exclusive_to_the_microsecond():
    site = SiteFactory()
    start = NOW - dt.timedelta(hours=24)
    tick = dt.timedelta(microseconds=1)
    for visitor, moment in enumerate([start - tick, start, NOW - tick, NOW]):
        record_pageview(site=site, timestamp=moment, visitor_id=visitor, path=f"/v{visitor}")

    stats = site_stats(site=site, period="24h", now=NOW)

    assert sorted(row.path for row in stats.pages) == ["/v1", "/v2"]
    assert stats.daily == [DayRow(d("2026-03-17"), 1, 1), DayRow(d("2026-03-18"), 1, 1)]


def test_24h_ending_at_local_midnight_touches_only_one_date():
    site = SiteFactory()
    record_pageview(site=site, timestamp=utc("2026-03-17T12:00"), visitor_id=1, path="/")

    stats = site_stats(site=site, period="24h", now=utc("2026-03-18T00:00"))

    assert stats.daily == [DayRow(d("2026-03-17"), 1, 1)]


def test_empty_site_has_zero_metrics_and_zero_filled_days():
    stats = site_stats(site=SiteFactory(), period="90d", now=NOW)

    assert (stats.unique_visitors, stats.pageviews, stats.bounce_rate, stats.avg_session_duration) == (0, 0, 0, 0)
    assert stats.pages == stats.referrers == stats.devices == stats.browsers == stats.countries == []
    assert len(stats.daily) == 90
    assert all(day.pageviews == 0 and day.unique_visitors == 0 for day in stats.daily)


def test_auckland_days_start_at_local_midnight():
    """Auckland is UTC+13 in March: local midnight of 03-13 is 2026-03-12 11:00 UTC."""
    site = SiteFactory(timezone="Pacific/Auckland")
    for visitor, moment in enumerate(
        ["2026-03-12T10:59:59", "2026-03-12T11:00", "2026-03-18T10:59:59", "2026-03-18T11:00"]
    ):
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path="/")

    stats = site_stats(site=site, period="7d", now=NOW)  # 2026-03-19 04:30 in Auckland

    assert stats.pageviews == 3
    assert stats.daily[0] == DayRow(d("2026-03-13"), 1, 1)
    assert stats.daily[-2] == DayRow(d("2026-03-18"), 1, 1)
    assert stats.daily[-1] == DayRow(d("2026-03-19"), 1, 1)
    assert sum(day.pageviews for day in stats.daily) == 3


def test_los_angeles_thirty_days_cross_the_daylight_saving_change():
    """PST (UTC-8) until 2026-03-08, PDT (UTC-7) after: the window starts 02-17 08:00 UTC."""
    site = SiteFactory(timezone="America/Los_Angeles")
    visits = ["2026-02-17T07:59:59", "2026-02-17T08:00", "2026-03-08T07:59", "2026-03-08T08:00", "2026-03-18T06:59"]
    for visitor, moment in enumerate(visits):
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path="/")

    stats = site_stats(site=site, period="30d", now=NOW)

    by_date = {day.date: day.pageviews for day in stats.daily}
    assert stats.pageviews == 4
    assert by_date[d("2026-02-17")] == 1  # 00:00 PST
    assert by_date[d("2026-03-07")] == 1  # 23:59 PST
    assert by_date[d("2026-03-08")] == 1  # 00:00 PST; clocks spring forward at 02:00 that day
    assert by_date[d("2026-03-17")] == 1  # 23:59 PDT
    assert by_date[d("2026-03-18")] == 0


def test_lists_keep_their_top_n_with_ties_broken_by_key():
    site = SiteFactory()
    moment = utc("2026-03-18T09:00")
    for visitor in range(3):
        record_pageview(
            site=site, timestamp=moment, visitor_id=1000 + visitor, path="/top", source="top.example", browser="Top"
        )
    for number in range(52):
        record_pageview(
            site=site,
            timestamp=moment,
            visitor_id=number,
            path=f"/p{number:02d}",
            source=f"s{number:02d}.example",
            browser=f"B{number:02d}",
        )

    stats = reference_site_stats(site=site, period="7d", now=NOW)

    assert [row.path for row in stats.pages] == ["/top"] + [f"/p{n:02d}" for n in range(49)]
    assert [row.source for row in stats.referrers] == ["top.example"] + [f"s{n:02d}.example" for n in range(49)]
    assert stats.referrers[0].visits == 3
    assert stats.pages[0] == PageRow("/top", 3, 3)
    assert [row.key for row in stats.browsers] == ["Top", *[f"B{n:02d}" for n in range(19)]]
    assert stats.browsers[0].count == 3


def test_ties_sort_by_code_point_on_every_database():
    site = SiteFactory()
    for visitor, path in enumerate(["/b", "/B", "/a", "/_", "/Z"]):
        record_pageview(site=site, timestamp=utc("2026-03-18T09:00"), visitor_id=visitor, path=path)

    stats = reference_site_stats(site=site, period="7d", now=NOW)

    assert [row.path for row in stats.pages] == ["/B", "/Z", "/_", "/a", "/b"]


def test_devices_add_up_to_visitors_and_daily_visitors_add_up_to_the_period(db):
    from analytics.demo import seed_demo_traffic

    site = SiteFactory(timezone="America/Los_Angeles")
    seed_demo_traffic(site=site, now=NOW, days=40, visitors_per_day=25, seed=7)

    for period in ["7d", "30d", "90d"]:
        stats = site_stats(site=site, period=period, now=NOW)
        assert stats.unique_visitors > 0
        assert sum(row.count for row in stats.devices) == stats.unique_visitors
        assert sum(day.unique_visitors for day in stats.daily) == stats.unique_visitors
        assert sum(day.pageviews for day in stats.daily) == stats.pageviews
