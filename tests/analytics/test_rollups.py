"""Rollups: what recording pageviews writes to them, summed blocks, rebuilds, and that serving from them stays exact.

The traffic is the hand-counted table of `tests/analytics/traffic.py` (site on UTC,
"now" Wednesday 2026-03-18 15:30 UTC), plus the winter visits below. Blocks of 2**n
days are aligned on 1970-01-01: 2026-01-27 is day 20480 = 256 * 80, so it starts a
block of every level up to 8; 2026-02-28 (day 20512) starts blocks of up to 32 days,
2026-03-16 (day 20528) of up to 16.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.counting.rebuild import rebuild_rollups, rebuild_site_rollups, recount_stored_day
from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, Session
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.services import record_pageview
from analytics.stats import CountRow, CountryRow, DayRow, PageRow
from tests.analytics.traffic import record_visits, utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-03-18T15:30")

# visitor  time (UTC)        path    source       device   browser        country   session
# 10       01-31 12:00       /       direct       tablet   Safari         DE        bounce
# 11       02-03 10:00       /       google.com   desktop  Chrome         US        2 views, 600 s
# 11       02-03 10:10       /docs
# 12       02-28 23:50       /docs   direct       mobile   Mobile Safari  (unknown) bounce
WINTER = [
    (10, "2026-01-31T12:00", "/", "direct", "tablet", "Safari", "DE"),
    (11, "2026-02-03T10:00", "/", "google.com", "desktop", "Chrome", "US"),
    (11, "2026-02-03T10:10", "/docs", "google.com", "desktop", "Chrome", "US"),
    (12, "2026-02-28T23:50", "/docs", "direct", "mobile", "Mobile Safari", ""),
]


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def breakdown(site, dimension, *, start: str) -> dict[str, tuple[int, int, int]]:
    rows = Breakdown.objects.filter(site=site, dimension=dimension, start=d(start))
    return {row.value: (row.pageviews, row.visitors, row.visits) for row in rows}


def read_tables(queries: CaptureQueriesContext) -> str:
    return " ".join(query["sql"] for query in queries.captured_queries)


@pytest.fixture
def winter_site():
    site = SiteFactory(timezone="UTC")
    record_visits(site, WINTER)
    return site


def test_recording_writes_each_day_s_totals(traffic_site):
    rows = DailyRollup.objects.filter(site=traffic_site).order_by("day")
    assert [(r.day, r.pageviews, r.visitors, r.sessions, r.bounces, r.duration) for r in rows] == [
        (d("2026-03-11"), 1, 1, 1, 1, 0),
        (d("2026-03-14"), 1, 1, 1, 1, 0),
        (d("2026-03-17"), 3, 1, 2, 1, 600),
        (d("2026-03-18"), 4, 2, 2, 1, 1200),
    ]


def test_recording_writes_each_day_s_breakdown(traffic_site):
    today = {"start": "2026-03-18"}
    assert breakdown(traffic_site, Dimension.PATH, **today) == {"/": (3, 2, 0), "/pricing": (1, 1, 0)}
    assert breakdown(traffic_site, Dimension.SOURCE, **today) == {
        "google.com": (0, 0, 1),
        "direct": (0, 0, 1),
    }
    assert breakdown(traffic_site, Dimension.DEVICE_TYPE, **today) == {
        "desktop": (0, 1, 0),
        "mobile": (0, 1, 0),
    }
    assert breakdown(traffic_site, Dimension.BROWSER, **today) == {
        "Chrome": (0, 1, 0),
        "Mobile Safari": (0, 1, 0),
    }
    assert breakdown(traffic_site, Dimension.COUNTRY, start="2026-03-14") == {"": (0, 1, 0)}
    assert breakdown(traffic_site, Dimension.SOURCE, start="2026-03-17") == {
        "news.ycombinator.com": (0, 0, 1),
        "direct": (0, 0, 1),
    }


def test_seven_days_from_rollups_match_the_reference_without_reading_raw_rows(traffic_site):
    with CaptureQueriesContext(connection) as queries:
        stats = site_stats(site=traffic_site, period="7d", now=NOW)

    assert stats == reference_site_stats(site=traffic_site, period="7d", now=NOW)
    assert (stats.unique_visitors, stats.pageviews) == (4, 8)  # counted by hand in tests/analytics/traffic.py
    sql = read_tables(queries)
    assert "analytics_breakdown" in sql
    assert "analytics_session" not in sql
    assert "analytics_pageview" not in sql


def test_a_pageview_counts_at_once_in_the_rollups(traffic_site):
    record_pageview(site=traffic_site, timestamp=utc("2026-03-18T15:00"), visitor_id=7, path="/pricing", country="FR")

    stats = site_stats(site=traffic_site, period="7d", now=NOW)

    assert (stats.unique_visitors, stats.pageviews) == (5, 9)
    assert stats.bounce_rate == 66.7  # B, D, E and the new one: 4 of 6 sessions
    assert stats.avg_session_duration == 300.0  # 1800 s over 6 sessions
    assert stats.pages[:2] == [PageRow("/", 4, 3), PageRow("/pricing", 3, 3)]
    assert stats.devices[0] == CountRow("desktop", 3)
    assert CountryRow("FR", "France", 1) in stats.countries
    assert stats.daily[-1] == DayRow(d("2026-03-18"), 5, 3)
    assert stats.daily[-2] == DayRow(d("2026-03-17"), 3, 1)


def test_a_pageview_on_an_existing_day_adds_to_that_day_only(traffic_site):
    record_pageview(site=traffic_site, timestamp=utc("2026-03-17T20:00"), visitor_id=3, path="/blog")

    row = DailyRollup.objects.get(site=traffic_site, day=d("2026-03-17"))
    assert (row.pageviews, row.visitors, row.sessions, row.bounces) == (4, 1, 3, 2)
    assert breakdown(traffic_site, Dimension.PATH, start="2026-03-17") == {
        "/about": (1, 1, 0),
        "/": (1, 1, 0),
        "/blog": (2, 1, 0),
    }
    assert DailyRollup.objects.get(site=traffic_site, day=d("2026-03-18")).pageviews == 4


def test_a_returning_pageview_extends_its_session_and_the_day_s_bounce_and_duration(traffic_site):
    """Visitor 2's 03-18 session B was a bounce at 11:00; a view at 11:20 extends it to 1,200 s."""
    before = DailyRollup.objects.get(site=traffic_site, day=d("2026-03-18"))

    record_pageview(site=traffic_site, timestamp=utc("2026-03-18T11:20"), visitor_id=2, path="/pricing")

    after = DailyRollup.objects.get(site=traffic_site, day=d("2026-03-18"))
    assert (after.pageviews, after.visitors, after.sessions) == (before.pageviews + 1, before.visitors, before.sessions)
    assert (after.bounces, after.duration) == (before.bounces - 1, before.duration + 1200)
    assert breakdown(traffic_site, Dimension.SOURCE, start="2026-03-18") == {
        "google.com": (0, 0, 1),
        "direct": (0, 0, 1),
    }


def test_a_rebuild_reproduces_the_rollups_that_recording_wrote(traffic_site, winter_site):
    columns = ("site", "start", "dimension", "value_key", "value", "pageviews", "visitors", "visits")
    day_columns = ("site", "day", "pageviews", "visitors", "sessions", "bounces", "duration")
    before = (sorted(Breakdown.objects.values_list(*columns)), sorted(DailyRollup.objects.values_list(*day_columns)))

    result = rebuild_rollups(now=NOW)

    after = (sorted(Breakdown.objects.values_list(*columns)), sorted(DailyRollup.objects.values_list(*day_columns)))
    assert after == before
    assert result.days == 8 + 29  # 03-11 … 03-18, and 01-31 … 02-28


def test_a_bulk_loaded_site_counts_once_that_site_is_rebuilt(traffic_site):
    """Rows written around `record_pageviews` (a bulk load) reach the rollups, sessions included, by a rebuild of
    their site only."""
    loaded = SiteFactory(timezone="UTC")
    moment = utc("2026-03-16T08:00")
    Pageview.objects.create(site=loaded, visitor_id=1, timestamp=moment, path="/hello", source="x.com")
    traffic_rows = sorted(DailyRollup.objects.filter(site=traffic_site).values_list("day", "pageviews"))

    before = site_stats(site=loaded, period="30d", now=NOW)
    result = rebuild_site_rollups(site=loaded, now=NOW)
    after = site_stats(site=loaded, period="30d", now=NOW)

    assert before.pageviews == 0
    assert result.days == 1
    assert (after.unique_visitors, after.pageviews, after.bounce_rate) == (1, 1, 100.0)
    assert after.pages == [PageRow("/hello", 1, 1)]
    assert list(Session.objects.filter(site=loaded).values_list("started_at", "pageviews", "source")) == [
        (moment, 1, "x.com")
    ]
    assert sorted(DailyRollup.objects.filter(site=traffic_site).values_list("day", "pageviews")) == traffic_rows


def test_a_site_whose_rebuild_fails_keeps_its_rollups_and_the_others_are_rebuilt(
    traffic_site, winter_site, monkeypatch
):
    from django.db import DatabaseError

    from analytics.counting import rebuild

    real = rebuild.recount_day

    def failing_for_winter(*, site, day):
        if site.pk == winter_site.pk:
            raise DatabaseError("disk full")
        return real(site=site, day=day)

    monkeypatch.setattr(rebuild, "recount_day", failing_for_winter)
    winter_rows = DailyRollup.objects.filter(site=winter_site).count()

    result = rebuild_rollups(now=NOW)

    assert result.days == 8
    assert DailyRollup.objects.filter(site=winter_site).count() == winter_rows == 3
    assert site_stats(site=traffic_site, period="7d", now=NOW).pageviews == 8


def test_recounting_a_day_from_raw_rows_changes_nothing_that_recording_wrote(winter_site):
    columns = ("start", "dimension", "value", "pageviews", "visitors", "visits")
    before = sorted(Breakdown.objects.filter(site=winter_site).values_list(*columns))

    recount_stored_day(site=winter_site, day=d("2026-02-03"))

    assert sorted(Breakdown.objects.filter(site=winter_site).values_list(*columns)) == before


def test_a_day_whose_pageviews_were_deleted_leaves_no_row_once_recounted(winter_site):
    Pageview.objects.filter(site=winter_site, visitor_id=11).delete()

    recount_stored_day(site=winter_site, day=d("2026-02-03"))

    assert breakdown(winter_site, Dimension.PATH, start="2026-02-03") == {}
    assert not DailyRollup.objects.filter(site=winter_site, day=d("2026-02-03")).exists()
    assert not Session.objects.filter(site=winter_site, visitor_id=11).exists()
    stats = site_stats(site=winter_site, period="90d", now=NOW)
    assert stats == reference_site_stats(site=winter_site, period="90d", now=NOW)


def test_lists_keep_their_top_n_with_ties_in_code_point_order_from_rollups():
    site = SiteFactory()
    moment = utc("2026-03-18T09:00")
    for visitor in range(3):
        record_pageview(site=site, timestamp=moment, visitor_id=1000 + visitor, path="/top", browser="Top")
    for number in range(52):
        record_pageview(
            site=site, timestamp=moment, visitor_id=number, path=f"/p{number:02d}", browser=f"B{number:02d}"
        )
    for visitor, path in enumerate(["/b", "/B", "/é", "/_"]):
        record_pageview(site=site, timestamp=utc("2026-03-17T09:00"), visitor_id=2000 + visitor, path=path)

    stats = site_stats(site=site, period="7d", now=NOW)

    assert stats.pages[0] == PageRow("/top", 3, 3)
    assert [row.path for row in stats.pages[1:]] == ["/B", "/_", "/b", "/p00"] + [f"/p{n:02d}" for n in range(1, 46)]
    assert len(stats.pages) == 50
    assert [row.key for row in stats.browsers] == ["", "Top", *[f"B{n:02d}" for n in range(18)]]
    assert stats.browsers[:2] == [CountRow("", 4), CountRow("Top", 3)]


def test_rollup_stats_sums_period_totals_once_and_rebuilds_one_site_on_request(traffic_site, capsys):
    call_command("rollup_stats")
    call_command("rollup_stats")
    call_command("rollup_stats", rebuild=True, site=[traffic_site.domain])

    out = capsys.readouterr().out.splitlines()
    # The first pass sums the site's four period totals; the second finds nothing due (the command runs at the
    # real "now", long after this traffic: every period's data left it, so none is due again).
    assert out[0].startswith("Counted 0 site-day(s) and moved or built 4 period total(s) in ")
    assert out[1].startswith("Counted 0 site-day(s) and moved or built 0 period total(s) in ")
    assert out[2].startswith("Counted 8 site-day(s) and moved or built 0 period total(s) in ")


def test_rollup_stats_refuses_an_unknown_site_or_a_site_without_rebuild(traffic_site):
    with pytest.raises(CommandError, match=r"No site with domain nowhere\.example"):
        call_command("rollup_stats", rebuild=True, site=["nowhere.example"])
    with pytest.raises(CommandError, match="--site goes with --rebuild or --verify"):
        call_command("rollup_stats", site=[traffic_site.domain])


def test_rollup_stats_refuses_a_pause_that_is_not_positive():
    with pytest.raises(CommandError, match="--every needs a positive number of seconds"):
        call_command("rollup_stats", every=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sites_rebuild_side_by_side_in_separate_processes():
    """Each process opens its own connection and rebuilds its sites; together they reproduce every site."""
    sites = [SiteFactory(timezone="UTC") for _ in range(3)]
    for number, site in enumerate(sites):
        record_visits(site, WINTER[: number + 2])
    columns = ("site", "day", "pageviews", "visitors", "sessions", "bounces", "duration")
    before = sorted(DailyRollup.objects.values_list(*columns))
    DailyRollup.objects.all().delete()
    Breakdown.objects.all().delete()

    result = rebuild_rollups(now=NOW, jobs=2)

    assert sorted(DailyRollup.objects.values_list(*columns)) == before
    assert result.days == 4 + 4 + 29  # 01-31 … 02-03, twice, and 01-31 … 02-28
