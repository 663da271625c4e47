import datetime as dt

import pytest

from analytics.models import DailyRollup, Pageview, Session
from analytics.services import NewPageview, record_pageview, record_pageviews
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
    # Each pageview keeps what its own event said; the session takes its first pageview's.
    assert list(Pageview.objects.order_by("timestamp").values_list("source", "device_type")) == [
        ("google.com", "mobile"),
        ("ignored.example", "desktop"),
        ("direct", "desktop"),
    ]


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


def test_in_one_batch_each_pageview_joins_its_own_visitors_session():
    """Three visitors interleaved, one of them returning: the batch writes each visitor's sessions from all of its
    pageviews, the stored one included (on PostgreSQL the new ids come back from one INSERT for the whole batch)."""
    site = SiteFactory()
    visit(site, "2026-03-18T09:50", "/before", visitor=3)
    batch = [
        NewPageview(utc("2026-03-18T10:00"), 1, "/a", "google.com", event_id="1-0"),
        NewPageview(utc("2026-03-18T10:01"), 2, "/b", "x.com", "mobile", event_id="1-1"),
        NewPageview(utc("2026-03-18T10:02"), 3, "/c", event_id="1-2"),
        NewPageview(utc("2026-03-18T10:03"), 1, "/d", event_id="1-3"),
        NewPageview(utc("2026-03-18T10:04"), 2, "/e", event_id="1-4"),
        NewPageview(utc("2026-03-18T10:45"), 1, "/f", "news.example", event_id="1-5"),
    ]

    stored = record_pageviews(site=site, pageviews=batch)

    assert len({pageview.pk for pageview in stored}) == 6
    assert list(Pageview.objects.order_by("timestamp").values_list("path", "visitor_id")) == [
        ("/before", 3),
        ("/a", 1),
        ("/b", 2),
        ("/c", 3),
        ("/d", 1),
        ("/e", 2),
        ("/f", 1),
    ]
    sessions = Session.objects.order_by("visitor_id", "started_at").values_list(
        "visitor_id", "pageviews", "duration", "entry_path", "exit_path", "source", "device_type"
    )
    assert list(sessions) == [
        (1, 2, 180, "/a", "/d", "google.com", "desktop"),
        (1, 1, 0, "/f", "/f", "news.example", "desktop"),
        (2, 2, 180, "/b", "/e", "x.com", "mobile"),
        (3, 2, 720, "/before", "/c", "direct", "desktop"),
    ]


def test_a_batch_handed_over_again_is_not_written_twice():
    site = SiteFactory()
    batch = [
        NewPageview(utc("2026-03-18T10:00"), 1, "/a", event_id="7-0"),
        NewPageview(utc("2026-03-18T10:01"), 1, "/b", event_id="7-1"),
    ]
    record_pageviews(site=site, pageviews=batch[:1])

    stored = record_pageviews(site=site, pageviews=batch)

    assert [pageview.path for pageview in stored] == ["/b"]
    assert Pageview.objects.count() == 2
    assert Session.objects.get().pageviews == 2
    assert DailyRollup.objects.get().pageviews == 2
