"""The site admin as sharing extends it: active share-link counts without N+1 queries, links to the site's links."""

import datetime as dt

from bs4 import BeautifulSoup
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import Pageview, Session, Site
from analytics.services import record_pageview
from sharing.models import ShareToken
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


def test_each_site_in_the_list_links_to_its_dashboard(owner_client, owner):
    first, second = SiteFactory(owner=owner), SiteFactory(owner=owner)

    body = owner_client.get(CHANGELIST).content.decode()

    for site in [first, second]:
        assert f'<a href="/admin/analytics/site/{site.pk}/dashboard/">Dashboard</a>' in body


def test_adding_a_site_lands_on_its_page_with_snippet_copy_button_and_setup_check(owner_client, settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"

    response = owner_client.post(
        "/admin/analytics/site/add/", {"domain": "shop.example", "nickname": "", "timezone": "Asia/Tokyo"}
    )
    site = Site.objects.get()
    page = owner_client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"/admin/analytics/site/{site.pk}/change/"
    html = BeautifulSoup(page.content.decode(), "html.parser")
    assert html.select_one("#glimpse-snippet").get_text() == (
        '<script defer data-domain="shop.example" src="https://stats.example.net/js/script.js"></script>'
    )
    assert html.select_one("button[data-copy-from=glimpse-snippet]").get_text() == "Copy"
    assert "Add data-allow-local to the tag" in html.select_one(".glimpse-local-testing").get_text()
    check = html.select_one(".glimpse-setup")
    assert check["data-live-url"] == f"/admin/analytics/site/{site.pk}/setup-check/"
    assert (check["data-status"], check.strong.get_text()) == ("waiting", "Waiting for the first pageview…")
    scripts = [script.get("src", "") for script in html.select("script")]
    assert any(src.endswith("glimpse/live.js") for src in scripts)
    assert any(src.endswith("glimpse/admin-site.js") for src in scripts)
    assert "Added shop.example. Paste the snippet below" in page.content.decode()
    assert f'href="/admin/analytics/site/{site.pk}/dashboard/"' in page.content.decode()


def test_an_owner_deletes_a_site_after_a_confirmation_naming_its_data_and_links(owner_client, owner, client):
    site = SiteFactory(owner=owner, domain="mistake.example")
    kept = SiteFactory(owner=owner, domain="kept.example")
    for visitor, minute in [(1, 0), (1, 3), (2, 10)]:
        record_pageview(
            site=site, timestamp=timezone.now() - dt.timedelta(minutes=60 - minute), visitor_id=visitor, path="/"
        )
    record_pageview(site=kept, timestamp=timezone.now(), visitor_id=1, path="/")
    working = ShareTokenFactory(site=site)
    ShareTokenFactory(site=site, revoked=True)
    ShareTokenFactory(site=kept)

    confirm = owner_client.get(f"/admin/analytics/site/{site.pk}/delete/")
    body = " ".join(BeautifulSoup(confirm.content.decode(), "html.parser").get_text(" ").split())
    response = owner_client.post(f"/admin/analytics/site/{site.pk}/delete/", {"post": "yes"})

    assert confirm.status_code == 200
    assert "Site: mistake.example" in body
    assert "All its collected data: 3 pageviews in 2 visits, and the daily totals built from them" in body
    assert "2 share links (1 working now): every one stops working at once" in body
    assert response.status_code == 302
    assert list(Site.objects.values_list("domain", flat=True)) == ["kept.example"]
    assert (Pageview.objects.count(), Session.objects.count(), ShareToken.objects.count()) == (1, 1, 1)
    assert client.get("/api/public/stats", {"token": working.raw_token}).status_code == 404


def test_an_owner_cannot_delete_someone_elses_site(owner_client):
    theirs = SiteFactory(domain="theirs.example")

    assert owner_client.get(f"/admin/analytics/site/{theirs.pk}/delete/").status_code == 404
    assert owner_client.post(f"/admin/analytics/site/{theirs.pk}/delete/", {"post": "yes"}).status_code == 404
    assert Site.objects.filter(pk=theirs.pk).exists()


def test_site_history_uses_the_admins_one_date_format_in_the_sites_zone(owner_client, owner):
    site = SiteFactory(owner=owner, timezone="Asia/Tokyo")
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[site], action_flag=CHANGE, change_message="Renamed.", single_object=True
    )
    LogEntry.objects.update(action_time=dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC))

    body = owner_client.get(f"/admin/analytics/site/{site.pk}/history/").content.decode()
    page = owner_client.get(f"/admin/analytics/site/{site.pk}/change/").content.decode()

    assert "19 Mar 2026, 00:30 JST" in body
    local = timezone.localtime(site.created_at, site.tzinfo)
    assert f"{local.day} {local:%b %Y, %H:%M} JST" in page


def test_the_root_and_the_admin_header_lead_to_the_sites_and_their_dashboards(owner_client):
    client = Client()
    anonymous = client.get("/")
    logged_in = owner_client.get("/", follow=True)
    header = BeautifulSoup(owner_client.get("/admin/").content.decode(), "html.parser").select_one("#user-tools")

    assert (anonymous.status_code, anonymous["Location"]) == (302, "/admin/analytics/site/")
    assert client.get("/admin/analytics/site/")["Location"] == "/admin/login/?next=/admin/analytics/site/"
    assert logged_in.redirect_chain == [("/admin/analytics/site/", 302)]
    assert logged_in.status_code == 200
    assert header.select_one("a")["href"] == "/admin/analytics/site/"
    assert header.select_one("a").get_text() == "Sites & dashboards"
    assert "View site" not in header.get_text()


def test_favicon_ico_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\x00\x00\x01\x00"
