"""The site admin: own sites only, owner set automatically, active share-link counts without N+1 queries."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import Site
from tests.factories import ShareTokenFactory, SiteFactory

CHANGELIST = "/admin/analytics/site/"


def test_site_list_shows_domain_nickname_timezone_active_links_and_a_link_to_them(owner_client, owner):
    site = SiteFactory(owner=owner, domain="olivia.example", nickname="Olivia's blog", timezone="Europe/Berlin")
    ShareTokenFactory(site=site)
    ShareTokenFactory(site=site, expires_at=timezone.now() + dt.timedelta(days=1))
    ShareTokenFactory(site=site, revoked_at=timezone.now() + dt.timedelta(hours=1))
    ShareTokenFactory(site=site, expired=True)
    ShareTokenFactory(site=site, revoked=True)

    response = owner_client.get(CHANGELIST)

    assert response.status_code == 200
    body = response.content.decode()
    assert "olivia.example" in body
    assert "Olivia&#x27;s blog" in body
    assert "Europe/Berlin" in body
    assert '<td class="field-active_share_links">3</td>' in body
    assert f'href="/admin/sharing/sharetoken/?site__id__exact={site.pk}"' in body
    assert "field-owner" not in body


def test_site_list_runs_the_same_queries_for_one_site_or_many(owner_client, owner):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(CHANGELIST).status_code == 200
        return len(queries)

    ShareTokenFactory(site=SiteFactory(owner=owner))
    with_one = list_queries()
    for _ in range(4):
        ShareTokenFactory(site=SiteFactory(owner=owner))

    assert list_queries() == with_one


def test_owner_adds_a_site_and_becomes_its_owner_with_a_normalised_domain(owner_client, owner):
    response = owner_client.post(
        "/admin/analytics/site/add/",
        {"domain": "https://WWW.Shop.Example/about", "nickname": "", "timezone": "Asia/Tokyo"},
    )

    assert response.status_code == 302
    site = Site.objects.get()
    assert (site.owner, site.domain, site.timezone) == (owner, "shop.example", "Asia/Tokyo")


def test_duplicate_domain_is_a_form_error_not_a_crash(owner_client):
    SiteFactory(domain="taken.example")

    response = owner_client.post("/admin/analytics/site/add/", {"domain": "www.TAKEN.example", "timezone": "UTC"})

    assert response.status_code == 200
    assert "Site with this Domain already exists." in response.content.decode()


def test_unknown_timezone_is_refused(owner_client):
    response = owner_client.post("/admin/analytics/site/add/", {"domain": "x.example", "timezone": "Mars/Olympus"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Site.objects.exists()


def test_site_change_page_links_to_its_share_links(owner_client, owner):
    site = SiteFactory(owner=owner)

    response = owner_client.get(f"/admin/analytics/site/{site.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/admin/sharing/sharetoken/?site__id__exact={site.pk}"' in body
    assert f'href="/admin/sharing/sharetoken/add/?site={site.pk}"' in body


def test_site_owners_cannot_delete_sites(owner_client, owner):
    site = SiteFactory(owner=owner)

    assert owner_client.get(f"/admin/analytics/site/{site.pk}/delete/").status_code == 403


def test_superuser_picks_any_owner_and_can_delete_a_site_with_its_share_links(admin_client, owner):
    site = SiteFactory(owner=owner)
    ShareTokenFactory(site=site, revoked=True)

    listing = admin_client.get(CHANGELIST).content.decode()
    page = admin_client.get("/admin/analytics/site/add/").content.decode()
    response = admin_client.post(f"/admin/analytics/site/{site.pk}/delete/", {"post": "yes"})

    assert "field-owner" in listing
    assert 'name="owner"' in page
    assert response.status_code == 302
    assert not Site.objects.filter(pk=site.pk).exists()
