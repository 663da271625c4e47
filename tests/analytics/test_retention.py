"""Pruning raw rows older than the retention: old rows go, newer stay, rollups and every period's answer are unchanged.

Site on Europe/Amsterdam (UTC+1 in March), "now" Wednesday 2026-03-18 15:30 UTC (16:30 local).
Keeping 2 days cuts at local midnight of 2026-03-16, which is 2026-03-15 23:00 UTC.

visitor  time (UTC)          local day  path  session                kept?
1        2026-01-10 10:00    01-10      /a    2 views, 600 s          no
1        2026-01-10 10:10    01-10      /b
2        2026-03-15 22:30    03-15      /a    bounce                 no (30 min before the cut)
3        2026-03-15 23:00    03-16      /c    bounce                 yes (exactly at the cut)
4        2026-03-17 10:00    03-17      /a    2 views, 300 s          yes
4        2026-03-17 10:05    03-17      /a
5        2026-03-18 09:00    03-18      /b    bounce                 yes
6        2026-03-18 15:00    03-18      /a    bounce                 yes

24h (03-17 15:30 to 03-18 15:30 UTC): visitors 5 and 6: 2 pageviews, 2 visitors, 2 sessions, both bounce.
7d and 30d (03-12 … 03-18): visitors 2 to 6: 6 pageviews, 5 visitors, 5 sessions, 4 bounces (80%), 300 s / 5 = 60 s;
  /a 4 pageviews by 3 visitors (2, 4, 6), /b 1, /c 1.
90d and 365d add visitor 1: 8 pageviews, 6 visitors, 6 sessions, 4 bounces (66.7%), 900 s / 6 = 150 s;
  /a 5 pageviews by 4 visitors, /b 2 by 2, /c 1.
"""

import datetime as dt
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from analytics.counting.rebuild import rebuild_site_rollups
from analytics.counting.worker import slide_due_periods
from analytics.models import Breakdown, DailyRollup, Pageview, PeriodTotal, Session
from analytics.periods import Period
from analytics.retention import pageview_delete, prune_raw_data, retention_cut, retention_days, session_delete
from analytics.selectors import site_stats
from analytics.services import record_pageview
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
CUT = dt.datetime(2026, 3, 15, 23, 0, tzinfo=dt.UTC)
VISITS = [
    (1, "2026-01-10T10:00", "/a"),
    (1, "2026-01-10T10:10", "/b"),
    (2, "2026-03-15T22:30", "/a"),
    (3, "2026-03-15T23:00", "/c"),
    (4, "2026-03-17T10:00", "/a"),
    (4, "2026-03-17T10:05", "/a"),
    (5, "2026-03-18T09:00", "/b"),
    (6, "2026-03-18T15:00", "/a"),
]
# period: (pageviews, visitors, bounce rate, average duration, [(path, pageviews, visitors)])
COUNTED = {
    "24h": (2, 2, 100.0, 0.0, [("/a", 1, 1), ("/b", 1, 1)]),
    "7d": (6, 5, 80.0, 60.0, [("/a", 4, 3), ("/b", 1, 1), ("/c", 1, 1)]),
    "30d": (6, 5, 80.0, 60.0, [("/a", 4, 3), ("/b", 1, 1), ("/c", 1, 1)]),
    "90d": (8, 6, 66.7, 150.0, [("/a", 5, 4), ("/b", 2, 2), ("/c", 1, 1)]),
    "365d": (8, 6, 66.7, 150.0, [("/a", 5, 4), ("/b", 2, 2), ("/c", 1, 1)]),
}


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def site():
    site = SiteFactory(domain="kept.example", timezone="Europe/Amsterdam")
    for visitor, moment, path in VISITS:
        record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path=path)
    slide_due_periods(now=NOW)  # sums the site's period totals
    return site


def answers(site) -> dict:
    return {period.value: site_stats(site=site, period=period, now=NOW) for period in Period}


def figures(stats) -> tuple:
    pages = [(row.path, row.pageviews, row.unique_visitors) for row in stats.pages]
    return (stats.pageviews, stats.unique_visitors, stats.bounce_rate, stats.avg_session_duration, pages)


def rollup_rows(site) -> tuple[list, list, list]:
    return (
        sorted(
            DailyRollup.objects.filter(site=site).values_list("day", "pageviews", "visitors", "sessions", "bounces")
        ),
        sorted(
            Breakdown.objects.filter(site=site).values_list(
                "start", "dimension", "value", "pageviews", "visitors", "visits"
            )
        ),
        sorted(
            PeriodTotal.objects.filter(site=site).values_list(
                "dimension",
                "value",
                *(f"{count}_{days}" for days in (7, 30, 90, 365) for count in ("pageviews", "visitors")),
            )
        ),
    )


def test_the_cut_is_the_site_local_midnight_two_days_before_today(site):
    assert retention_cut(site=site, now=NOW, days=2) == CUT


def test_pruning_keeps_every_answer_as_counted_by_hand(site):
    before = answers(site)
    assert {period: figures(stats) for period, stats in before.items()} == COUNTED
    rollups = rollup_rows(site)
    assert rollups[2], "the fixture should have period totals, so pruning is checked against them too"

    result = prune_raw_data(now=NOW, days=2)

    assert (result.pageviews, result.sessions) == (3, 2)
    assert answers(site) == before
    assert rollup_rows(site) == rollups


def test_pruning_deletes_rows_before_the_cut_and_keeps_the_rest(site):
    prune_raw_data(now=NOW, days=2)

    assert sorted(Pageview.objects.values_list("visitor_id", "timestamp")) == [
        (3, utc("2026-03-15T23:00")),
        (4, utc("2026-03-17T10:00")),
        (4, utc("2026-03-17T10:05")),
        (5, utc("2026-03-18T09:00")),
        (6, utc("2026-03-18T15:00")),
    ]
    assert sorted(Session.objects.values_list("visitor_id", "pageviews")) == [(3, 1), (4, 2), (5, 1), (6, 1)]


def test_other_sites_are_cut_at_their_own_midnight(site):
    tokyo = SiteFactory(domain="tokyo.example", timezone="Asia/Tokyo")
    # Tokyo is UTC+9: "now" is 03-19 00:30 there, so its cut is 2026-03-17 00:00 local = 2026-03-16 15:00 UTC.
    record_pageview(site=tokyo, timestamp=utc("2026-03-16T14:59"), visitor_id=7, path="/")
    record_pageview(site=tokyo, timestamp=utc("2026-03-16T15:00"), visitor_id=8, path="/")

    result = prune_raw_data(now=NOW, days=2)

    assert list(Pageview.objects.filter(site=tokyo).values_list("visitor_id", flat=True)) == [8]
    assert (result.sites, result.pageviews, result.sessions) == (2, 4, 3)


def test_small_batches_delete_the_same_rows(site):
    result = prune_raw_data(now=NOW, days=2, batch=1)

    assert (result.pageviews, result.sessions) == (3, 2)
    assert Pageview.objects.count() == 5
    assert Session.objects.count() == 4


def test_a_dry_run_counts_and_deletes_nothing(site):
    result = prune_raw_data(now=NOW, days=2, dry_run=True)

    assert (result.pageviews, result.sessions) == (3, 2)
    assert Pageview.objects.count() == 8
    assert Session.objects.count() == 6


def test_a_longer_retention_keeps_more(site):
    result = prune_raw_data(now=NOW, days=60)

    # 60 days before 03-18 is 01-17 local: only visitor 1's day (01-10) goes.
    assert (result.pageviews, result.sessions) == (2, 1)


def test_retention_off_by_default_keeps_everything(site, settings):
    settings.RAW_RETENTION_DAYS = 0

    result = prune_raw_data(now=NOW)

    assert (result.sites, result.pageviews, result.sessions) == (0, 0, 0)
    assert Pageview.objects.count() == 8


@pytest.mark.parametrize("days", [1, -3])
def test_a_retention_shorter_than_two_days_is_refused(site, settings, days):
    settings.RAW_RETENTION_DAYS = days

    with pytest.raises(ImproperlyConfigured, match="at least 2"):
        prune_raw_data(now=NOW)
    assert Pageview.objects.count() == 8


def test_retention_days_comes_from_the_setting_unless_given(settings):
    settings.RAW_RETENTION_DAYS = 30

    assert retention_days() == 30
    assert retention_days(days=2) == 2


def test_command_refuses_one_day(site):
    with pytest.raises(CommandError, match="at least 2"):
        call_command("prune_raw_data", "--days", "1")
    assert Pageview.objects.count() == 8


def test_command_says_when_retention_is_off(settings, capsys):
    settings.RAW_RETENTION_DAYS = 0

    call_command("prune_raw_data")

    assert "retention is off" in capsys.readouterr().out


def test_command_dry_run_reports_and_deletes_nothing(site, capsys):
    call_command("prune_raw_data", "--days", "3650", "--dry-run")

    assert "Would delete 0 pageview(s) and 0 session(s)" in capsys.readouterr().out
    assert Pageview.objects.count() == 8


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's is checked by bench.retention")
def test_deletes_find_old_rows_through_the_site_time_indexes(site):
    """A whole-table scan would read every site's rows to delete a few of one site's."""
    with connection.cursor() as cursor:
        plans = {}
        for name, sql in (("pageview", pageview_delete()), ("session", session_delete())):
            cursor.execute("EXPLAIN QUERY PLAN " + sql, [site.pk, "2026-03-15 23:00:00", 10])
            plans[name] = " / ".join(str(row[-1]) for row in cursor.fetchall())

    assert re.search(r"SEARCH old USING (COVERING )?INDEX pageview_site_timestamp", plans["pageview"])
    assert re.search(r"SEARCH old USING (COVERING )?INDEX session_site_started", plans["session"])
    assert "SCAN old" not in plans["pageview"] + plans["session"]


def test_a_rebuild_after_pruning_keeps_the_pruned_days_and_every_answer(site):
    before = answers(site)
    rollups = rollup_rows(site)
    prune_raw_data(now=NOW, days=2)

    result = rebuild_site_rollups(site=site, now=NOW)

    assert result.days == 3  # 03-16 … 03-18 local: the first pageview kept is 03-16 00:00 CET, the last 03-18 16:00
    assert answers(site) == before
    assert {period: figures(stats) for period, stats in answers(site).items()} == COUNTED
    assert rollup_rows(site) == rollups
