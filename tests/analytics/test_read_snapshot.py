"""Every read of one answer sees one committed state: a worker pass or a batch committing between two of its
reads changes nothing in it.

The traffic is the hand-counted table of `tests/analytics/traffic.py`. Its 7-day totals are
summed as of 03-18 (they count from 03-12); the answer is read at 03-21 00:30 UTC, after the
midnight when 03-14 left the period and before the worker moved the totals on: the reader
subtracts 03-14's day rows from them. The worker's pass that moves them commits in the
middle of that read, from another connection.
"""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connections

from analytics.counting import read_days
from analytics.counting.periods import build_period_totals
from analytics.counting.worker import slide_due_periods
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.stats import CountRow, PageRow
from tests.analytics.traffic import record_visits, utc
from tests.factories import SiteFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

READ_AT = utc("2026-03-21T00:30")


def in_another_connection(work) -> None:
    """Run `work` in a thread, so on a connection of its own, committed before this returns."""
    failures = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # re-raised in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other connection's work did not finish"
    if failures:
        raise failures[0]


def test_a_worker_pass_committing_between_two_reads_of_an_answer_changes_nothing_in_it():
    site = SiteFactory(timezone="UTC")
    record_visits(site)
    build_period_totals(site=site, now=utc("2026-03-18T15:30"))
    original = read_days.days_left_in_totals
    moved = []

    def days_left_then_worker_pass(**kwargs):
        moved.append(in_another_connection(lambda: slide_due_periods(now=READ_AT)))
        return original(**kwargs)

    with mock.patch.object(read_days, "days_left_in_totals", side_effect=days_left_then_worker_pass):
        stats = site_stats(site=site, period="7d", now=READ_AT)

    assert moved, "the worker's pass did not run between the reads"
    # 03-15 … 03-21: visitors 1 and 2 on 03-18, visitor 3 on 03-17; 03-14's visitor 4 has left.
    assert stats.pages == [
        PageRow(path="/", pageviews=4, unique_visitors=3),
        PageRow(path="/about", pageviews=1, unique_visitors=1),
        PageRow(path="/blog", pageviews=1, unique_visitors=1),
        PageRow(path="/pricing", pageviews=1, unique_visitors=1),
    ]
    assert stats.devices == [
        CountRow(key="desktop", count=1),
        CountRow(key="mobile", count=1),
        CountRow(key="tablet", count=1),
    ]
    assert stats == reference_site_stats(site=site, period="7d", now=READ_AT)


def test_a_batch_committing_between_two_reads_of_an_answer_is_in_all_of_it_or_in_none():
    site = SiteFactory(timezone="UTC")
    record_visits(site)
    build_period_totals(site=site, now=utc("2026-03-18T15:30"))
    now = utc("2026-03-18T15:30")
    original = read_days.days_left_in_totals
    late_visit = [(6, "2026-03-18T12:00", "/late", "direct", "desktop", "Chrome", "US")]

    def days_left_then_batch(**kwargs):
        in_another_connection(lambda: record_visits(site, visits=late_visit))
        return original(**kwargs)

    with mock.patch.object(read_days, "days_left_in_totals", side_effect=days_left_then_batch):
        stats = site_stats(site=site, period="7d", now=now)

    # The answer is the state before the batch: 7 pageviews by 3 visitors (1, 2, 3) and 03-14's visitor 4.
    assert (stats.pageviews, stats.unique_visitors) == (8, 4)
    assert "/late" not in [row.path for row in stats.pages]
    assert sum(row.count for row in stats.devices) == stats.unique_visitors
    after = site_stats(site=site, period="7d", now=now)
    assert (after.pageviews, after.unique_visitors) == (9, 5)
    assert PageRow(path="/late", pageviews=1, unique_visitors=1) in after.pages
    assert after == reference_site_stats(site=site, period="7d", now=now)
    assert stats.daily[-1].date == dt.date(2026, 3, 18)
