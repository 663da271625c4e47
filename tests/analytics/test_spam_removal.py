"""`remove_blocked_traffic`: an owner's blocklist takes spam already stored out of every number.

Fixture, "now" 2026-03-18 15:30 UTC, site on UTC (counted by hand):

visitor  time          path            source                          session
1        03-18 10:00   /               google.com                      A (2 views)
1        03-18 10:05   /pricing        google.com                      A
7        03-18 11:00   /               Cheap-pills-at-spam.example     B (utm_source spam)
8        03-18 12:00   /               www.spam.example                C (referrer spam)
9        03-17 09:00   /wp-login.php   direct                          D (2 views, touched a blocked path)
9        03-17 09:01   /               direct                          D
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analytics.models import Pageview, Session, Site
from analytics.selectors import site_stats
from analytics.spam_removal import remove_blocked_traffic
from tests.analytics.traffic import record_visits
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
VISITS = [
    (1, "2026-03-18T10:00", "/", "google.com", "desktop", "Chrome", "US"),
    (1, "2026-03-18T10:05", "/pricing", "google.com", "desktop", "Chrome", "US"),
    (7, "2026-03-18T11:00", "/", "Cheap-pills-at-spam.example", "desktop", "Chrome", "US"),
    (8, "2026-03-18T12:00", "/", "www.spam.example", "desktop", "Chrome", "US"),
    (9, "2026-03-17T09:00", "/wp-login.php", "direct", "desktop", "Chrome", "US"),
    (9, "2026-03-17T09:01", "/", "direct", "desktop", "Chrome", "US"),
]


@pytest.fixture
def site() -> Site:
    site = SiteFactory(domain="example.com")
    record_visits(site, VISITS)
    return site


def headline(site: Site) -> tuple[int, int, list[tuple[str, int]]]:
    stats = site_stats(site=site, period="7d", now=NOW)
    return stats.pageviews, stats.unique_visitors, [(row.source, row.visits) for row in stats.referrers]


def test_blocked_sources_and_paths_leave_every_number(site):
    assert headline(site) == (
        6,
        4,
        [("Cheap-pills-at-spam.example", 1), ("direct", 1), ("google.com", 1), ("www.spam.example", 1)],
    )
    site.blocked_sources = "cheap-pills-at-spam.example\nspam.example"
    site.blocked_paths = "/wp-*"
    site.save()

    removed = remove_blocked_traffic(site=site, now=NOW)

    assert (removed.sessions, removed.pageviews) == (3, 4)
    assert headline(site) == (2, 1, [("google.com", 1)])
    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/", "/pricing"]


def test_a_blocked_path_takes_the_whole_session_that_touched_it(site):
    site.blocked_paths = "/wp-login.php"
    site.save()

    removed = remove_blocked_traffic(site=site, now=NOW)

    assert (removed.sessions, removed.pageviews) == (1, 2)
    assert not Session.objects.filter(visitor_id=9).exists()


def test_an_exact_path_does_not_match_its_longer_neighbours(site):
    site.blocked_paths = "/wp-login"
    site.save()

    assert remove_blocked_traffic(site=site, now=NOW) == remove_blocked_traffic(site=site, now=NOW)
    assert Pageview.objects.count() == 6


def test_empty_lists_remove_nothing_and_rebuild_nothing(site, django_assert_num_queries):
    with django_assert_num_queries(0):
        removed = remove_blocked_traffic(site=site, now=NOW)

    assert (removed.sessions, removed.pageviews) == (0, 0)


def test_other_sites_keep_their_traffic(site):
    other = SiteFactory(domain="other.example")
    record_visits(other, VISITS[2:3])
    site.blocked_sources = "cheap-pills-at-spam.example"
    site.save()

    remove_blocked_traffic(site=site, now=NOW)

    assert Pageview.objects.filter(site=other).count() == 1


def test_an_unsaved_site_is_refused():
    with pytest.raises(ValidationError):
        remove_blocked_traffic(site=Site(domain="new.example", blocked_sources="spam.example"), now=NOW)
