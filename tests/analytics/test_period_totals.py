"""Period totals: what batches add, how the worker moves them, when readers use them, and that they stay exact.

The traffic is the hand-counted table of `tests/analytics/traffic.py` (site on UTC, "now"
Wednesday 2026-03-18 15:30 UTC): data on 03-11, 03-14, 03-17 and 03-18. Summed as of
"now", the 7-day totals count from 03-12, the 30-day totals from 02-17, the 90-day totals
from 2025-12-19 and the 365-day totals from 2025-03-19. One row per value holds all four
periods' counts: "/" is (4, 3, 0) over 7 days (03-11's visitor 5 is before them) and
(5, 4, 0) over 30, 90 and 365.
"""

import datetime as dt
from dataclasses import replace
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import metrics
from analytics.counting import read_days
from analytics.counting.periods import PERIOD_FIELDS, build_period_totals, period_fields
from analytics.counting.rebuild import rebuild_site_rollups, recount_stored_day
from analytics.counting.worker import slide_due_periods
from analytics.models import Dimension, Pageview, PeriodTotal, PeriodWindow
from analytics.periods import Period
from analytics.reference_stats import reference_site_stats
from analytics.retention import prune_site
from analytics.selectors import site_stats
from analytics.services import NewPageview, record_pageview, record_pageviews
from analytics.stats import CountRow, CountryRow, PageRow, SourceRow
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-03-18T15:30")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def totals(site, days: int, dimension: Dimension) -> dict[str, tuple[int, int, int]]:
    """The period's (pageviews, visitors, visits) of every value it counts (a count above zero)."""
    columns = (f"pageviews_{days}", f"visitors_{days}", f"visits_{days}")
    rows = PeriodTotal.objects.filter(site=site, dimension=dimension).values_list("value", *columns)
    return {value: tuple(counts) for value, *counts in rows if any(counts)}


def stored_rows(site, dimension: Dimension) -> dict[str, tuple[int, ...]]:
    """Every stored row of the dimension: the value's (pageviews, visitors, visits) of 7, 30, 90 and 365 days."""
    columns = [f"{count}_{days}" for days in (7, 30, 90, 365) for count in ("pageviews", "visitors", "visits")]
    rows = PeriodTotal.objects.filter(site=site, dimension=dimension).values_list("value", *columns)
    return {value: tuple(counts) for value, *counts in rows}


def window(site, days: int) -> tuple[dt.date, dt.date | None]:
    stored = PeriodWindow.objects.get(site=site, days=days)
    return stored.first_day, stored.due_on


@pytest.fixture
def summed_site(traffic_site):
    build_period_totals(site=traffic_site, now=NOW)
    return traffic_site


@pytest.fixture
def day_rows_summed():
    """Counts the readers that fell back to summing the period's day rows."""
    with mock.patch.object(read_days, "day_rows_of_period", wraps=read_days.day_rows_of_period) as spy:
        yield spy


def assert_matches_reference(site, now: dt.datetime) -> None:
    for period in Period:
        if period.days is not None:
            assert site_stats(site=site, period=period, now=now) == reference_site_stats(
                site=site, period=period, now=now
            ), period


def test_totals_sum_the_day_rows_from_each_period_s_first_day(summed_site):
    assert window(summed_site, 7) == (d("2026-03-12"), d("2026-03-21"))  # 03-14 leaves on 03-21
    assert window(summed_site, 30) == (d("2026-02-17"), d("2026-04-10"))  # 03-11 leaves on 04-10
    assert totals(summed_site, 7, Dimension.PATH) == {
        "/": (4, 3, 0),
        "/pricing": (2, 2, 0),
        "/about": (1, 1, 0),
        "/blog": (1, 1, 0),
    }
    assert totals(summed_site, 30, Dimension.PATH)["/"] == (5, 4, 0)
    assert totals(summed_site, 7, Dimension.COUNTRY) == {
        "US": (0, 1, 0),
        "GB": (0, 1, 0),
        "DE": (0, 1, 0),
        "": (0, 1, 0),
    }


def test_each_period_has_its_pageviews_visitors_and_visits_columns():
    expected = [f"{count}_{days}" for days in (7, 30, 90, 365) for count in ("pageviews", "visitors", "visits")]

    assert list(PERIOD_FIELDS) == expected
    keys = {"id", "site", "dimension", "value_key", "value"}
    assert [field.name for field in PeriodTotal._meta.concrete_fields if field.name not in keys] == expected
    assert period_fields(30) == ("pageviews_30", "visitors_30", "visits_30")


def test_one_row_per_value_holds_each_period_s_counts(summed_site):
    assert stored_rows(summed_site, Dimension.PATH) == {
        "/": (4, 3, 0, 5, 4, 0, 5, 4, 0, 5, 4, 0),
        "/pricing": (2, 2, 0, 2, 2, 0, 2, 2, 0, 2, 2, 0),
        "/about": (1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
        "/blog": (1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
    }
    assert stored_rows(summed_site, Dimension.SOURCE)["direct"] == (0, 0, 2, 0, 0, 3, 0, 0, 3, 0, 0, 3)


def test_a_batch_adds_each_day_to_the_columns_of_the_periods_counting_it(summed_site, day_rows_summed):
    """One batch: "/" on 03-16 (every period), on 03-05 (before the 7-day totals' 03-12) and on 2025-12-01 (before
    the 90-day totals' 2025-12-19, inside 365 days); "/older" on 03-05 alone."""
    record_pageviews(
        site=summed_site,
        pageviews=[
            NewPageview(utc("2026-03-16T08:00"), 20, "/"),
            NewPageview(utc("2026-03-05T08:00"), 21, "/"),
            NewPageview(utc("2025-12-01T08:00"), 22, "/"),
            NewPageview(utc("2026-03-05T09:00"), 23, "/older"),
        ],
    )

    rows = stored_rows(summed_site, Dimension.PATH)
    assert rows["/"] == (5, 4, 0, 7, 6, 0, 7, 6, 0, 8, 7, 0)
    assert rows["/older"] == (0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0)
    assert rows["/pricing"] == (2, 2, 0, 2, 2, 0, 2, 2, 0, 2, 2, 0)
    assert stored_rows(summed_site, Dimension.SOURCE)["direct"] == (0, 0, 3, 0, 0, 6, 0, 0, 6, 0, 0, 7)
    seven, thirty = (site_stats(site=summed_site, period=period, now=NOW) for period in ("7d", "30d"))
    assert not day_rows_summed.called
    assert seven.pages == [PageRow("/", 5, 4), PageRow("/pricing", 2, 2), PageRow("/about", 1, 1),
                           PageRow("/blog", 1, 1)]  # fmt: skip
    assert thirty.pages == [PageRow("/", 7, 6), PageRow("/pricing", 2, 2), PageRow("/about", 1, 1),
                            PageRow("/blog", 1, 1), PageRow("/older", 1, 1)]  # fmt: skip
    assert_matches_reference(summed_site, NOW)

    rebuild_site_rollups(site=summed_site, now=NOW)

    assert stored_rows(summed_site, Dimension.PATH) == rows


def test_seven_days_read_their_lists_from_the_totals(summed_site, day_rows_summed):
    stats = site_stats(site=summed_site, period="7d", now=NOW)

    assert not day_rows_summed.called
    assert stats.pages == [
        PageRow("/", 4, 3),
        PageRow("/pricing", 2, 2),
        PageRow("/about", 1, 1),
        PageRow("/blog", 1, 1),
    ]
    assert stats.referrers == [
        SourceRow("direct", 2),
        SourceRow("google.com", 2),
        SourceRow("news.ycombinator.com", 1),
    ]
    assert stats.countries == [CountryRow("DE", "Germany", 1), CountryRow("GB", "United Kingdom", 1),
                               CountryRow("US", "United States", 1)]  # fmt: skip
    assert stats == reference_site_stats(site=summed_site, period="7d", now=NOW)


def test_a_batch_adds_to_the_totals_counting_its_day_and_brings_their_move_forward(summed_site):
    record_pageview(site=summed_site, timestamp=utc("2026-03-15T08:00"), visitor_id=20, path="/late", country="FR")
    record_pageview(site=summed_site, timestamp=utc("2026-03-05T08:00"), visitor_id=21, path="/older")

    assert totals(summed_site, 7, Dimension.PATH)["/late"] == (1, 1, 0)
    assert "/older" not in totals(summed_site, 7, Dimension.PATH)  # before 03-12: not a 7-day total's day
    assert totals(summed_site, 30, Dimension.PATH)["/older"] == (1, 1, 0)
    assert totals(summed_site, 7, Dimension.COUNTRY)["FR"] == (0, 1, 0)
    assert window(summed_site, 7) == (d("2026-03-12"), d("2026-03-21"))  # 03-15 leaves after 03-14
    assert window(summed_site, 30) == (d("2026-02-17"), d("2026-04-04"))  # 03-05 leaves on 04-04
    assert_matches_reference(summed_site, NOW)


def test_the_worker_moves_a_period_past_the_days_that_left_it(summed_site, day_rows_summed):
    later = utc("2026-03-21T12:00")  # 7 days: 03-15 … 03-21; 03-14 has left

    assert slide_due_periods(now=later) == 1

    assert window(summed_site, 7) == (d("2026-03-15"), d("2026-03-24"))  # 03-17 leaves next, on 03-24
    assert window(summed_site, 30) == (d("2026-02-17"), d("2026-04-10"))
    assert totals(summed_site, 7, Dimension.PATH) == {
        "/": (4, 3, 0),
        "/pricing": (1, 1, 0),
        "/about": (1, 1, 0),
        "/blog": (1, 1, 0),
    }
    assert totals(summed_site, 7, Dimension.COUNTRY) == {"US": (0, 1, 0), "GB": (0, 1, 0), "DE": (0, 1, 0)}
    # 03-14's /pricing and Firefox leave the 7-day columns alone; Firefox keeps its row for the other periods.
    assert stored_rows(summed_site, Dimension.PATH)["/pricing"] == (1, 1, 0, 2, 2, 0, 2, 2, 0, 2, 2, 0)
    assert stored_rows(summed_site, Dimension.BROWSER)["Firefox"] == (0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0)
    assert totals(summed_site, 7, Dimension.SOURCE) == {
        "google.com": (0, 0, 1),
        "direct": (0, 0, 2),
        "news.ycombinator.com": (0, 0, 1),
    }
    stats = site_stats(site=summed_site, period="7d", now=later)
    assert not day_rows_summed.called
    assert stats.pages == [
        PageRow("/", 4, 3),
        PageRow("/about", 1, 1),
        PageRow("/blog", 1, 1),
        PageRow("/pricing", 1, 1),
    ]
    assert stats.browsers == [CountRow("Chrome", 1), CountRow("Mobile Safari", 1), CountRow("Safari", 1)]  # no Firefox
    assert CountRow("Firefox", 1) in site_stats(site=summed_site, period="30d", now=later).browsers
    assert_matches_reference(summed_site, later)


def test_moving_two_periods_subtracts_each_one_s_leaving_days_from_its_own_columns(summed_site, day_rows_summed):
    """As of 04-10 the 7-day totals move to 04-04 (every day with data leaves them) and the 30-day totals to 03-12
    (03-11 leaves them: visitor 5's "/", direct, Chrome, US); 90 and 365 days stay."""
    later = utc("2026-04-10T12:00")

    assert slide_due_periods(now=later) == 2

    assert window(summed_site, 7) == (d("2026-04-04"), None)
    assert window(summed_site, 30) == (d("2026-03-12"), d("2026-04-13"))  # 03-14 leaves next
    assert stored_rows(summed_site, Dimension.PATH) == {
        "/": (0, 0, 0, 4, 3, 0, 5, 4, 0, 5, 4, 0),
        "/pricing": (0, 0, 0, 2, 2, 0, 2, 2, 0, 2, 2, 0),
        "/about": (0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
        "/blog": (0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
    }
    assert stored_rows(summed_site, Dimension.COUNTRY)["US"] == (0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 2, 0)
    seven = site_stats(site=summed_site, period="7d", now=later)
    assert (seven.pages, seven.referrers, seven.browsers, seven.countries, seven.devices) == ([], [], [], [], [])
    assert site_stats(site=summed_site, period="30d", now=later).pages == [
        PageRow("/", 4, 3),
        PageRow("/pricing", 2, 2),
        PageRow("/about", 1, 1),
        PageRow("/blog", 1, 1),
    ]
    assert not day_rows_summed.called
    assert_matches_reference(summed_site, later)


def test_a_value_the_period_does_not_count_is_left_out_of_a_top_n_cut_by_the_index(day_rows_summed):
    """Top 2 pages of 7 days as of 03-18 (from 03-12): /a (3 pageviews on 03-01) has zeros in the 7-day columns,
    /b one pageview on 03-17: fewer than 2 pages count pageviews over 7 days, so the list is /b alone."""
    site = SiteFactory(timezone="UTC")
    for visitor, moment, path in [
        (1, "2026-03-01T09:00", "/a"),
        (2, "2026-03-01T09:00", "/a"),
        (3, "2026-03-01T09:00", "/a"),
        (4, "2026-03-17T09:00", "/b"),
    ]:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path=path)
    build_period_totals(site=site, now=NOW)
    assert stored_rows(site, Dimension.PATH)["/a"] == (0, 0, 0, 3, 3, 0, 3, 3, 0, 3, 3, 0)
    top_two = tuple(replace(rule, limit=2) if rule.name == "pages" else rule for rule in metrics.LIST_RULES)

    with mock.patch.object(metrics, "LIST_RULES", top_two):
        seven = site_stats(site=site, period="7d", now=NOW)
        thirty = site_stats(site=site, period="30d", now=NOW)
        next_day = site_stats(site=site, period="7d", now=utc("2026-03-19T12:00"))  # 03-12 subtracted: no data

    assert not day_rows_summed.called
    assert seven.pages == [PageRow("/b", 1, 1)]
    assert thirty.pages == [PageRow("/a", 3, 3), PageRow("/b", 1, 1)]
    assert next_day.pages == [PageRow("/b", 1, 1)]


def test_a_reader_subtracts_the_day_that_left_the_period_while_the_worker_is_behind(summed_site, day_rows_summed):
    later = utc("2026-03-21T12:00")  # 03-14 still counted by the 7-day totals

    stats = site_stats(site=summed_site, period="7d", now=later)

    assert not day_rows_summed.called
    assert stats.pages == [
        PageRow("/", 4, 3),
        PageRow("/about", 1, 1),
        PageRow("/blog", 1, 1),
        PageRow("/pricing", 1, 1),
    ]
    assert stats == reference_site_stats(site=summed_site, period="7d", now=later)


def test_totals_not_yet_moved_serve_while_no_day_with_data_lies_before_the_period(summed_site, day_rows_summed):
    next_day = utc("2026-03-19T12:00")  # 7 days: 03-13 … 03-19; the totals count from 03-12, which has no data

    assert site_stats(site=summed_site, period="7d", now=next_day) == reference_site_stats(
        site=summed_site, period="7d", now=next_day
    )
    assert not day_rows_summed.called


def test_data_after_today_sends_the_reader_to_the_day_rows(summed_site, day_rows_summed):
    record_pageview(site=summed_site, timestamp=utc("2026-03-20T08:00"), visitor_id=30, path="/future")

    assert_matches_reference(summed_site, NOW)
    assert day_rows_summed.call_count == 4
    assert totals(summed_site, 7, Dimension.PATH)["/future"] == (1, 1, 0)


def test_a_site_without_totals_is_read_from_its_day_rows_until_the_worker_sums_them(traffic_site, day_rows_summed):
    assert_matches_reference(traffic_site, NOW)
    assert day_rows_summed.call_count == 4

    assert slide_due_periods(now=NOW) == 4
    assert slide_due_periods(now=NOW) == 0
    day_rows_summed.reset_mock()
    assert_matches_reference(traffic_site, NOW)
    assert not day_rows_summed.called


def test_idle_sites_cost_the_worker_one_query_whatever_their_number(summed_site):
    for _ in range(3):
        idle = SiteFactory(timezone="UTC")
        record_pageview(site=idle, timestamp=utc("2026-03-18T09:00"), visitor_id=1, path="/")
        build_period_totals(site=idle, now=NOW)
    SiteFactory(timezone="UTC")  # no data at all

    with CaptureQueriesContext(connection) as queries:
        moved = slide_due_periods(now=utc("2026-03-19T12:00"))  # nothing leaves a period before 03-21

    assert moved == 0
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert "analytics_periodtotal" not in sql
    assert "analytics_breakdown" not in sql


def test_a_site_in_a_far_time_zone_counts_from_its_own_today():
    site = SiteFactory(timezone="Pacific/Kiritimati")  # UTC+14: "now" is 03-19 05:30 there
    record_pageview(site=site, timestamp=utc("2026-03-12T09:00"), visitor_id=1, path="/")  # 03-12 23:00 local

    build_period_totals(site=site, now=NOW)

    assert window(site, 7) == (d("2026-03-13"), None)  # 03-12 local is before the period: nothing counted
    assert totals(site, 7, Dimension.PATH) == {}
    assert totals(site, 30, Dimension.PATH) == {"/": (1, 1, 0)}
    assert_matches_reference(site, NOW)


def test_recounting_a_day_from_raw_rows_reaches_the_totals(summed_site):
    Pageview.objects.filter(site=summed_site, visitor_id=4).delete()
    summed_site.sessions.filter(visitor_id=4).delete()

    recount_stored_day(site=summed_site, day=d("2026-03-14"))

    assert totals(summed_site, 7, Dimension.PATH)["/pricing"] == (1, 1, 0)
    # Visitor 4 alone had no country and Firefox: every period's counts reach zero, and the rows go.
    assert "" not in stored_rows(summed_site, Dimension.COUNTRY)
    assert "Firefox" not in stored_rows(summed_site, Dimension.BROWSER)
    assert_matches_reference(summed_site, NOW)


def test_a_rebuild_sums_the_totals_afresh(summed_site):
    PeriodTotal.objects.filter(site=summed_site, value="/").update(pageviews_7=99)
    PeriodWindow.objects.filter(site=summed_site, days=7).update(first_day=d("2026-01-01"))

    rebuild_site_rollups(site=summed_site, now=NOW)

    assert totals(summed_site, 7, Dimension.PATH)["/"] == (4, 3, 0)
    assert window(summed_site, 7) == (d("2026-03-12"), d("2026-03-21"))
    assert_matches_reference(summed_site, NOW)


def test_pruning_raw_rows_changes_no_answer_served_from_the_totals(summed_site, day_rows_summed):
    before = {period: site_stats(site=summed_site, period=period, now=NOW) for period in ("7d", "30d")}

    prune_site(site=summed_site, cut=utc("2026-03-17T00:00"))

    assert Pageview.objects.filter(site=summed_site).count() == 7
    assert {period: site_stats(site=summed_site, period=period, now=NOW) for period in ("7d", "30d")} == before
    assert not day_rows_summed.called


def test_the_day_subtracted_can_change_which_pages_make_the_cut(day_rows_summed):
    """Top 1 of 7 days as of 03-19, totals still counting 03-11: /a has 5 pageviews in the totals but 3 of them
    on 03-11, so /b (3, none on 03-11) leads with 3 against 2. Reading only the totals rows at or above the
    totals' first count (5) would miss /b."""
    site = SiteFactory(timezone="UTC")
    for visitor, moment, path in [
        (1, "2026-03-11T09:00", "/a"),
        (2, "2026-03-11T09:00", "/a"),
        (3, "2026-03-11T09:00", "/a"),
        (4, "2026-03-17T09:00", "/a"),
        (5, "2026-03-18T09:00", "/a"),
        (6, "2026-03-17T10:00", "/b"),
        (7, "2026-03-18T10:00", "/b"),
        (8, "2026-03-18T11:00", "/b"),
    ]:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path=path)
    build_period_totals(site=site, now=utc("2026-03-17T12:00"))  # 7 days from 03-11
    top_one = tuple(replace(rule, limit=1) if rule.name == "pages" else rule for rule in metrics.LIST_RULES)

    with mock.patch.object(metrics, "LIST_RULES", top_one):
        stats = site_stats(site=site, period="7d", now=utc("2026-03-19T12:00"))  # 03-13 … 03-19

    assert not day_rows_summed.called
    assert stats.pages == [PageRow("/b", 3, 3)]


def test_a_week_of_days_left_in_the_totals_sends_the_reader_to_the_day_rows(day_rows_summed):
    site = SiteFactory(timezone="UTC")
    for day in range(1, 10):
        record_pageview(site=site, timestamp=utc(f"2026-03-{day:02d}T09:00"), visitor_id=day, path="/")
    build_period_totals(site=site, now=utc("2026-03-07T12:00"))  # 7 days from 03-01
    later = utc("2026-03-17T12:00")  # 03-11 … 03-17: nine days with data (03-01 … 03-09) left the totals' window

    assert site_stats(site=site, period="7d", now=later) == reference_site_stats(site=site, period="7d", now=later)
    assert day_rows_summed.call_count == 1


def test_a_period_is_moved_at_its_site_s_own_midnight_and_not_visited_before():
    site = SiteFactory(timezone="Europe/Amsterdam")
    record_pageview(site=site, timestamp=utc("2026-03-14T09:00"), visitor_id=1, path="/")
    build_period_totals(site=site, now=NOW)  # 7 days from 03-12; 03-14 leaves them on 03-21, Amsterdam time
    assert window(site, 7) == (d("2026-03-12"), d("2026-03-21"))

    with CaptureQueriesContext(connection) as queries:
        # 21:00 on 03-20 in Amsterdam, already 03-21 in UTC+14
        moved_early = slide_due_periods(now=utc("2026-03-20T20:00"))

    assert (moved_early, len(queries.captured_queries)) == (0, 1)
    assert slide_due_periods(now=utc("2026-03-20T23:30")) >= 1  # 00:30 on 03-21 in Amsterdam
    assert window(site, 7)[0] == d("2026-03-15")
