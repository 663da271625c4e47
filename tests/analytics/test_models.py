"""Sites: who sees them, and a local day that never moves once data exists."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analytics.models import Site
from analytics.reference_stats import reference_site_stats
from analytics.services import record_pageview
from tests.factories import SiteFactory, UserFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def test_a_new_time_zone_would_split_one_visitor_day_in_two():
    """Why the time zone is locked: one visitor's day in Berlin spans two dates once read in New York time.

    Visitor 1 views pages at 01:00 and 23:00 on 17 March, Berlin time (00:00 and 22:00 UTC): one visitor on one
    local day, by construction of the visitor id. Read in America/New_York, the same pageviews fall on 16 and 17
    March, so the daily uniques would add up to 2 while the period has 1 unique visitor.
    """
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageview(site=site, timestamp=dt.datetime(2026, 3, 17, 0, 0, tzinfo=dt.UTC), visitor_id=1, path="/")
    record_pageview(site=site, timestamp=dt.datetime(2026, 3, 17, 22, 0, tzinfo=dt.UTC), visitor_id=1, path="/")
    berlin = reference_site_stats(site=site, period="7d", now=NOW)
    Site.objects.filter(pk=site.pk).update(timezone="America/New_York")  # what the guard below refuses
    site.refresh_from_db()
    new_york = reference_site_stats(site=site, period="7d", now=NOW)

    assert [day.unique_visitors for day in berlin.daily if day.unique_visitors] == [1]
    assert berlin.unique_visitors == 1
    assert [day.unique_visitors for day in new_york.daily if day.unique_visitors] == [1, 1]
    assert new_york.unique_visitors == 1


def test_a_site_with_pageviews_refuses_a_new_time_zone_on_save():
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageview(site=site, timestamp=NOW, visitor_id=1, path="/")

    site.timezone = "America/New_York"
    with pytest.raises(ValidationError, match="add a new site"):
        site.save()

    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"


def test_a_site_with_pageviews_refuses_a_new_time_zone_in_full_clean():
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageview(site=site, timestamp=NOW, visitor_id=1, path="/")

    site.timezone = "Asia/Tokyo"
    with pytest.raises(ValidationError) as refused:
        site.full_clean()

    assert "timezone" in refused.value.message_dict


def test_a_site_with_pageviews_still_saves_other_changes():
    site = SiteFactory(timezone="Europe/Berlin")
    record_pageview(site=site, timestamp=NOW, visitor_id=1, path="/")

    site.nickname = "Renamed"
    site.save()

    site.refresh_from_db()
    assert (site.nickname, site.timezone) == ("Renamed", "Europe/Berlin")


def test_a_site_without_pageviews_may_change_its_time_zone():
    site = SiteFactory(timezone="Europe/Berlin")

    site.timezone = "Asia/Tokyo"
    site.save()

    site.refresh_from_db()
    assert site.timezone == "Asia/Tokyo"


def test_owners_see_their_own_sites_and_superusers_every_site():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    root = UserFactory(username="root", is_superuser=True)
    alices, bobs = SiteFactory(owner=alice), SiteFactory(owner=bob)

    assert list(Site.objects.visible_to(alice)) == [alices]
    assert list(Site.objects.visible_to(bob)) == [bobs]
    assert set(Site.objects.visible_to(root)) == {alices, bobs}
