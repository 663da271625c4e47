import datetime as dt

import pytest

from analytics.models import Pageview, Session
from analytics.services import record_pageview
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def visit(site, moment, path="/", visitor=1, **attributes):
    return record_pageview(site=site, timestamp=utc(moment), visitor_id=visitor, path=path, **attributes)


def test_pageviews_under_thirty_minutes_apart_share_one_session():
    site = SiteFactory()
    visit(site, "2026-03-18T10:00:00", "/", source="google.com", device_type="mobile", browser="Chrome", country="NL")
    visit(site, "2026-03-18T10:29:59", "/pricing", source="ignored.example", device_type="desktop")
    visit(site, "2026-03-18T10:45:00", "/signup")

    session = Session.objects.get()
    assert (session.pageviews, session.duration) == (3, 45 * 60)
    assert (session.entry_path, session.exit_path) == ("/", "/signup")
    assert (session.source, session.device_type, session.browser, session.country) == (
        "google.com",
        "mobile",
        "Chrome",
        "NL",
    )
    assert session.ended_at == utc("2026-03-18T10:45:00")
    assert set(Pageview.objects.values_list("session_id", flat=True)) == {session.pk}


def test_a_gap_of_exactly_thirty_minutes_starts_a_new_session():
    site = SiteFactory()
    visit(site, "2026-03-18T10:00:00", "/a")
    visit(site, "2026-03-18T10:30:00", "/b", source="news.example")

    first, second = Session.objects.order_by("started_at")
    assert (first.pageviews, first.duration, first.exit_path) == (1, 0, "/a")
    assert (second.pageviews, second.entry_path, second.source) == (1, "/b", "news.example")


def test_sessions_are_per_visitor_and_per_site():
    site, other_site = SiteFactory(), SiteFactory()
    visit(site, "2026-03-18T10:00", visitor=1)
    visit(site, "2026-03-18T10:01", visitor=2)
    visit(other_site, "2026-03-18T10:02", visitor=1)

    assert Session.objects.count() == 3
    assert Session.objects.filter(site=other_site).get().visitor_id == 1


def test_a_late_pageview_extends_its_session_backwards():
    site = SiteFactory()
    visit(site, "2026-03-18T10:10", "/second")
    visit(site, "2026-03-18T10:00", "/first")

    session = Session.objects.get()
    assert (session.started_at, session.ended_at) == (utc("2026-03-18T10:00"), utc("2026-03-18T10:10"))
    assert (session.entry_path, session.exit_path, session.duration, session.pageviews) == ("/first", "/second", 600, 2)


def test_paths_longer_than_two_thousand_characters_are_cut():
    site = SiteFactory()
    pageview = visit(site, "2026-03-18T10:00", "/" + "x" * 2500)

    pageview.refresh_from_db()
    assert len(pageview.path) == 2000
    assert len(Session.objects.get().entry_path) == 2000


def test_visitor_ids_use_the_whole_signed_64_bit_range():
    site = SiteFactory()
    for visitor in (-(2**63), 2**63 - 1):
        record_pageview(site=site, timestamp=dt.datetime(2026, 3, 18, tzinfo=dt.UTC), visitor_id=visitor, path="/")

    assert sorted(Pageview.objects.values_list("visitor_id", flat=True)) == [-(2**63), 2**63 - 1]
