"""Sessions and counts follow the rule, whatever order a visitor-day's pageviews arrive in.

One visitor of a Berlin site (UTC+1 in January) on 2026-01-15, counted by hand:

    local   UTC     path       source       device   browser  country
    10:00   09:00   /          google.com   mobile   Safari   AT
    10:20   09:20   /docs      direct       desktop  Chrome   DE
    10:40   09:40   /pricing   twitter.com  desktop  Chrome   DE

The gaps are 20 minutes, so this is one session of 3 pageviews from 09:00 to 09:40 UTC
(2,400 s), entered at / and left at /pricing, and it takes everything else from its first
pageview: google.com, mobile, Safari, AT. Written in time order or in any other — late,
in separate batches, repeated — the stored rows and every answer must be these.
"""

import datetime as dt
import itertools

import pytest

from analytics.counting.verify import verify_site
from analytics.models import Breakdown, DailyRollup, HourlyBreakdown, HourlyRollup, Pageview, Session
from analytics.selectors import site_stats
from analytics.services import NewPageview, record_pageviews
from analytics.stats import CountRow, CountryRow, PageRow, SourceRow
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-01-15T11:00")  # 12:00 in Berlin
VISITS = [
    NewPageview(utc("2026-01-15T09:00"), 1, "/", "google.com", "mobile", "Safari", "AT", event_id="e-1"),
    NewPageview(utc("2026-01-15T09:20"), 1, "/docs", "direct", "desktop", "Chrome", "DE", event_id="e-2"),
    NewPageview(utc("2026-01-15T09:40"), 1, "/pricing", "twitter.com", "desktop", "Chrome", "DE", event_id="e-3"),
]


def derived_rows(site) -> dict[str, list]:
    """Every row derived from the pageviews, without ids, for comparing two sites."""
    return {
        "sessions": sorted(
            Session.objects.filter(site=site).values_list(
                "visitor_id",
                "started_at",
                "ended_at",
                "duration",
                "pageviews",
                "entry_path",
                "exit_path",
                "source",
                "device_type",
                "browser",
                "country",
                "last_of_device_type",
                "last_of_browser",
                "last_of_country",
            )
        ),
        "marks": sorted(Pageview.objects.filter(site=site).values_list("path", "last_of_visitor", "last_of_path")),
        "days": sorted(
            DailyRollup.objects.filter(site=site).values_list(
                "day", "pageviews", "visitors", "sessions", "bounces", "duration"
            )
        ),
        "values": sorted(
            Breakdown.objects.filter(site=site).values_list(
                "start", "dimension", "value_key", "value", "pageviews", "visitors", "visits"
            )
        ),
        "hours": sorted(
            HourlyRollup.objects.filter(site=site).values_list(
                "hour", "day", "pageviews", "visitors", "sessions", "bounces", "duration"
            )
        ),
        "hour_values": sorted(
            HourlyBreakdown.objects.filter(site=site).values_list(
                "hour", "day", "dimension", "value", "pageviews", "visitors", "visits"
            )
        ),
    }


def assert_counted_by_hand(site) -> None:
    session = Session.objects.get(site=site)
    assert (session.started_at, session.ended_at, session.duration, session.pageviews) == (
        utc("2026-01-15T09:00"),
        utc("2026-01-15T09:40"),
        2400,
        3,
    )
    assert (session.entry_path, session.exit_path) == ("/", "/pricing")
    assert (session.source, session.device_type, session.browser, session.country) == (
        "google.com",
        "mobile",
        "Safari",
        "AT",
    )
    for period in ("24h", "7d"):
        stats = site_stats(site=site, period=period, now=NOW)
        assert (stats.unique_visitors, stats.pageviews, stats.bounce_rate, stats.avg_session_duration) == (
            1,
            3,
            0.0,
            2400.0,
        ), period
        assert stats.pages == [PageRow("/", 1, 1), PageRow("/docs", 1, 1), PageRow("/pricing", 1, 1)], period
        assert stats.referrers == [SourceRow("google.com", 1)], period
        assert stats.devices == [CountRow("mobile", 1)], period
        assert stats.browsers == [CountRow("Safari", 1)], period
        assert stats.countries == [CountryRow("AT", "Austria", 1)], period
    marks = dict(Pageview.objects.filter(site=site).values_list("path", "last_of_visitor"))
    assert marks == {"/": False, "/docs": False, "/pricing": True}
    assert list(
        HourlyRollup.objects.filter(site=site).order_by("hour").values_list("hour", "visitors", "sessions")
    ) == [(utc("2026-01-15T09:00"), 1, 1)]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_pageviews_one_batch_each_in_any_order_give_the_rows_of_time_order(order):
    in_time_order = SiteFactory(timezone="Europe/Berlin")
    record_pageviews(site=in_time_order, pageviews=[visit._replace(event_id=None) for visit in VISITS])
    site = SiteFactory(timezone="Europe/Berlin")

    for index in order:
        record_pageviews(site=site, pageviews=[VISITS[index]])

    assert_counted_by_hand(site)
    assert derived_rows(site) == derived_rows(in_time_order)


def test_a_late_earliest_pageview_gives_its_session_its_source_device_and_country():
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageviews(site=site, pageviews=[VISITS[2]])
    record_pageviews(site=site, pageviews=[VISITS[1]])
    assert Session.objects.get(site=site).source == "direct"

    record_pageviews(site=site, pageviews=[VISITS[0]])

    assert_counted_by_hand(site)


def test_batches_handed_over_again_and_claimed_late_change_nothing():
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageviews(site=site, pageviews=[VISITS[2], VISITS[0]])
    record_pageviews(site=site, pageviews=[VISITS[0]])  # handed over again
    record_pageviews(site=site, pageviews=[VISITS[1], VISITS[2]])  # a dead worker's batch, claimed later

    assert_counted_by_hand(site)
    assert Pageview.objects.filter(site=site).count() == 3


def test_a_visitor_seeing_one_path_twice_in_one_batch_counts_once_on_that_path():
    site = SiteFactory(timezone="UTC")
    record_pageviews(
        site=site,
        pageviews=[
            NewPageview(utc("2026-01-15T09:00"), 7, "/docs"),
            NewPageview(utc("2026-01-15T09:05"), 7, "/docs"),
        ],
    )

    stats = site_stats(site=site, period="7d", now=NOW)
    assert stats.pages == [PageRow("/docs", 2, 1)]
    assert site_stats(site=site, period="24h", now=NOW).pages == [PageRow("/docs", 2, 1)]
    assert Breakdown.objects.get(site=site, dimension=1).visitors == 1


def test_two_visitor_days_of_one_visitor_id_count_apart():
    """Visitor ids are per day; should one repeat on another day, each day has its own sessions and visitor."""
    site = SiteFactory(timezone="UTC")
    record_pageviews(site=site, pageviews=[NewPageview(utc("2026-01-14T23:50"), 9, "/a")])
    record_pageviews(site=site, pageviews=[NewPageview(utc("2026-01-15T00:10"), 9, "/b")])

    assert Session.objects.filter(site=site).count() == 2
    assert list(DailyRollup.objects.filter(site=site).order_by("day").values_list("day", "visitors", "sessions")) == [
        (dt.date(2026, 1, 14), 1, 1),
        (dt.date(2026, 1, 15), 1, 1),
    ]


def test_an_event_handed_over_twice_within_one_batch_is_written_once():
    site = SiteFactory(timezone="Europe/Berlin")

    record_pageviews(site=site, pageviews=[VISITS[1], VISITS[0], VISITS[1], VISITS[2], VISITS[0]])

    assert_counted_by_hand(site)
    assert Pageview.objects.filter(site=site).count() == 3


def test_values_longer_than_their_columns_are_counted_as_they_are_stored():
    site = SiteFactory(timezone="UTC")
    record_pageviews(
        site=site,
        pageviews=[NewPageview(utc("2026-01-15T09:00"), 5, "/", "s" * 300, "desktop", "B" * 70, "XYZ")],
    )

    stored = Pageview.objects.get(site=site)
    assert (len(stored.source), len(stored.browser), stored.country) == (255, 64, "XY")
    stats = site_stats(site=site, period="7d", now=NOW)
    assert stats.countries == [CountryRow("XY", "XY", 1)]
    assert stats.browsers == [CountRow("B" * 64, 1)]
    assert stats.referrers == [SourceRow("s" * 255, 1)]
    assert verify_site(site=site, now=NOW, days=1) == []
