"""The batch writer's shortcuts (`counting.visitor_days`), each against hand-counted rows.

Stored sessions are read only for visitor-days with stored pageviews: a visitor-day without any has no sessions. The
first three cases are visitor-days that look new to their batch — every event of it is new — but have pageviews
stored by an earlier, late or repeated delivery: their stored sessions must be replaced, never added to. A pageview
whose values fit their columns is taken as it is; one that does not is counted as its columns store it.
"""

import pytest

from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, Session
from analytics.services import NewPageview, record_pageviews
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def pageview(moment: str, path: str, *, event_id: str, visitor: int = 7) -> NewPageview:
    return NewPageview(utc(moment), visitor, path, event_id=event_id)


def stored_sessions(site) -> list[tuple]:
    return list(
        Session.objects.filter(site=site)
        .order_by("started_at")
        .values_list("started_at", "ended_at", "pageviews", "duration", "entry_path", "exit_path")
    )


def day_totals(site) -> tuple:
    row = DailyRollup.objects.get(site=site)
    return row.pageviews, row.visitors, row.sessions, row.bounces, row.duration


def test_an_earlier_pageview_delivered_late_replaces_the_stored_session():
    site = SiteFactory(timezone="UTC")
    record_pageviews(site=site, pageviews=[pageview("2026-03-18T10:00:00", "/a", event_id="e1")])

    # Every event of this batch is new to it, but the visitor-day has a stored pageview.
    record_pageviews(site=site, pageviews=[pageview("2026-03-18T09:50:00", "/b", event_id="e0")])

    assert stored_sessions(site) == [(utc("2026-03-18T09:50:00"), utc("2026-03-18T10:00:00"), 2, 600, "/b", "/a")]
    assert day_totals(site) == (2, 1, 1, 0, 600)


def test_a_repeated_delivery_with_a_new_pageview_extends_the_stored_session_once():
    site = SiteFactory(timezone="UTC")
    record_pageviews(site=site, pageviews=[pageview("2026-03-18T10:00:00", "/a", event_id="e1")])

    # e1 again (left out: stored) and a new pageview ten minutes later.
    record_pageviews(
        site=site,
        pageviews=[
            pageview("2026-03-18T10:00:00", "/a", event_id="e1"),
            pageview("2026-03-18T10:10:00", "/c", event_id="e2"),
        ],
    )

    assert stored_sessions(site) == [(utc("2026-03-18T10:00:00"), utc("2026-03-18T10:10:00"), 2, 600, "/a", "/c")]
    assert day_totals(site) == (2, 1, 1, 0, 600)


def test_a_new_visitor_day_beside_a_stored_one_of_the_same_visitor_keeps_both_days_sessions():
    site = SiteFactory(timezone="UTC")
    record_pageviews(site=site, pageviews=[pageview("2026-03-18T10:00:00", "/a", event_id="e1")])

    record_pageviews(
        site=site,
        pageviews=[
            pageview("2026-03-18T10:40:00", "/b", event_id="e2"),
            pageview("2026-03-19T08:00:00", "/c", event_id="e3"),
        ],
    )

    assert stored_sessions(site) == [
        (utc("2026-03-18T10:00:00"), utc("2026-03-18T10:00:00"), 1, 0, "/a", "/a"),
        (utc("2026-03-18T10:40:00"), utc("2026-03-18T10:40:00"), 1, 0, "/b", "/b"),
        (utc("2026-03-19T08:00:00"), utc("2026-03-19T08:00:00"), 1, 0, "/c", "/c"),
    ]


def test_an_overlong_value_is_counted_as_the_column_stores_it():
    site = SiteFactory(timezone="UTC")
    long_path, long_source = "/" + "p" * 2099, "s" * 300
    record_pageviews(
        site=site,
        pageviews=[
            NewPageview(utc("2026-03-18T10:00:00"), 7, long_path, long_source, event_id="e1"),
            NewPageview(utc("2026-03-18T10:01:00"), 8, long_path[:2000], event_id="e2"),
        ],
    )

    assert set(Pageview.objects.values_list("path", flat=True)) == {long_path[:2000]}
    assert Pageview.objects.get(event_id="e1").source == long_source[:255]
    assert list(Breakdown.objects.filter(dimension=Dimension.PATH).values_list("value", "pageviews", "visitors")) == [
        (long_path[:2000], 2, 2)
    ]
    assert Breakdown.objects.get(dimension=Dimension.SOURCE, value=long_source[:255]).visits == 1
