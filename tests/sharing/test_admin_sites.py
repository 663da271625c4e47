"""The site admin as sharing extends it: active share-link counts without N+1 queries, links to the site's links."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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


def test_site_change_page_links_to_its_share_links(owner_client, owner):
    site = SiteFactory(owner=owner)

    response = owner_client.get(f"/admin/analytics/site/{site.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/admin/sharing/sharetoken/?site__id__exact={site.pk}"' in body
    assert f'href="/admin/sharing/sharetoken/add/?site={site.pk}"' in body
