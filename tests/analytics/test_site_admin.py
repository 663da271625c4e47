"""The site admin: own sites only, owner set automatically, a time zone that cannot move once data exists."""

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from analytics.models import Site
from analytics.services import record_pageview
from tests.factories import ShareTokenFactory, SiteFactory

CHANGELIST = "/admin/analytics/site/"


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


def test_the_time_zone_list_holds_real_places_only_and_must_be_chosen(owner_client):
    page = BeautifulSoup(owner_client.get("/admin/analytics/site/add/").content.decode(), "html.parser")
    options = [option["value"] for option in page.select("select[name=timezone] option")]
    missing = owner_client.post("/admin/analytics/site/add/", {"domain": "x.example", "timezone": ""})

    assert options[:3] == ["", "UTC", "Africa/Abidjan"]
    assert {"Europe/Amsterdam", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Pacific/Auckland"} <= set(options)
    for oddity in ["Factory", "localtime", "posixrules", "US/Eastern", "Etc/GMT+5", "EST5EDT", "Cuba"]:
        assert oddity not in options
    assert page.select("select[name=timezone] option[selected]") == [page.select_one("option[value='']")]
    assert missing.status_code == 200
    assert "This field is required." in missing.content.decode()
    assert not Site.objects.exists()


def test_a_site_on_a_legacy_zone_name_keeps_it_in_its_form(owner_client, owner):
    site = SiteFactory(owner=owner, timezone="US/Eastern")

    page = BeautifulSoup(owner_client.get(f"/admin/analytics/site/{site.pk}/change/").content.decode(), "html.parser")

    assert page.select_one("select[name=timezone] option[selected]")["value"] == "US/Eastern"
    assert change_site(owner_client, site, nickname="Kept").status_code == 302


def test_superuser_sees_every_sites_people_and_can_delete_a_site_with_its_share_links(admin_client, owner):
    site = SiteFactory(owner=owner)
    ShareTokenFactory(site=site, revoked=True)

    listing = admin_client.get(CHANGELIST).content.decode()
    page = admin_client.get("/admin/analytics/site/add/").content.decode()
    response = admin_client.post(f"/admin/analytics/site/{site.pk}/delete/", {"post": "yes"})

    assert f"{owner.username} (Owner)" in listing
    assert 'name="owner"' not in page
    assert response.status_code == 302
    assert not Site.objects.filter(pk=site.pk).exists()


def change_site(client, site, **changes):
    data = {"domain": site.domain, "nickname": site.nickname, "timezone": site.timezone, **changes}
    return client.post(f"/admin/analytics/site/{site.pk}/change/", data)


def test_time_zone_of_a_site_without_pageviews_can_change(owner_client, owner):
    site = SiteFactory(owner=owner, timezone="UTC")

    response = change_site(owner_client, site, timezone="Europe/Berlin")

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"


def test_time_zone_of_a_site_with_pageviews_is_read_only_with_the_reason(owner_client, owner):
    site = SiteFactory(owner=owner, timezone="Europe/Berlin")
    record_pageview(site=site, timestamp=timezone.now(), visitor_id=1, path="/")

    page = owner_client.get(f"/admin/analytics/site/{site.pk}/change/").content.decode()
    response = change_site(owner_client, site, timezone="America/New_York", nickname="Renamed")

    assert 'name="timezone"' not in page
    assert "Europe/Berlin" in page
    assert "To count in another time zone, add a new site." in page
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.timezone, site.nickname) == ("Europe/Berlin", "Renamed")


@pytest.mark.parametrize(
    "typed",
    [
        "evil.example\";filename*=utf-8''report.hta;x=\"",
        "evil.example\x07",
        "two words.example",
        "<script>.example",
        "localhost",
    ],
)
def test_a_domain_that_is_not_a_host_name_is_refused(owner_client, typed):
    response = owner_client.post("/admin/analytics/site/add/", {"domain": typed, "timezone": "UTC"})

    assert response.status_code == 200
    assert "Enter a domain such as example.com" in response.content.decode()
    assert not Site.objects.exists()


def test_an_international_domain_is_stored_as_browsers_send_it(owner_client):
    response = owner_client.post("/admin/analytics/site/add/", {"domain": "Bücher.example", "timezone": "UTC"})

    assert response.status_code == 302
    assert Site.objects.get().domain == "xn--bcher-kva.example"
