"""Which pages may report to a site: its domain and subdomains by default, or the hosts its owner lists.

An event from any other host is accepted (202, so a script on a copied page never errors),
recorded nowhere, and counted on the site where its owner sees it.
"""

import datetime as dt
import json

import pytest

from analytics.drop_counts import add_drops, write_dropped_events
from analytics.events import PageviewEvent
from analytics.hostnames import InvalidHostname, host_is_allowed, parse_allowed_hostnames
from analytics.ingestion import Client, ingest_pageview
from analytics.models import Pageview, Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def post_event(client, url, *, user_agent=CHROME):
    return client.post(
        "/api/event",
        data=json.dumps({"domain": "example.com", "url": url}),
        content_type="text/plain",
        headers={"User-Agent": user_agent},
    )


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", True),
        ("blog.example.com", True),
        ("a.b.example.com", True),
        ("evil.example", False),
        ("example.com.evil.example", False),
        ("notexample.com", False),
        ("localhost", False),
        ("127.0.0.1", False),
        ("::1", False),
        ("127.0.0.2", False),
        ("localhost.evil.example", False),
    ],
)
def test_by_default_only_the_domain_and_its_subdomains_are_allowed(host, allowed):
    """A page on localhost is anyone's machine: an owner who tests locally lists it (see the next tests)."""
    assert host_is_allowed(host=host, site_domain="example.com", allowed_hostnames="") is allowed


def test_an_explicit_list_allows_only_what_it_names():
    assert host_is_allowed(host="localhost", site_domain="example.com", allowed_hostnames="example.com") is False


def test_this_machines_names_are_allowed_once_the_owner_lists_them():
    listed = "example.com, *.example.com, localhost, 127.0.0.1"

    assert [
        host_is_allowed(host=host, site_domain="example.com", allowed_hostnames=listed)
        for host in ["localhost", "127.0.0.1", "::1", "example.com", "www2.example.com"]
    ] == [True, True, False, True, True]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.org", True),
        ("shop.example.net", True),
        ("a.shop.example.net", True),
        ("example.net", False),
        ("example.com", False),
        ("blog.example.com", False),
        ("localhost", True),
    ],
)
def test_a_list_replaces_the_default_and_a_star_means_every_subdomain_but_not_the_domain(host, allowed):
    listed = "example.org\n*.shop.example.net, *.example.net\nlocalhost"

    assert host_is_allowed(host=host, site_domain="example.com", allowed_hostnames=listed) is allowed


def test_entries_are_normalised_deduplicated_and_checked():
    assert parse_allowed_hostnames(" WWW.Example.org, example.org\n\n*.Shop.Example.NET.  localhost:8000 ") == [
        "example.org",
        "*.shop.example.net",
        "localhost",
    ]
    for bad in ["ex*mple.com", "-bad.example", "bücher.example", "*.", "a..b"]:
        with pytest.raises(InvalidHostname):
            parse_allowed_hostnames(bad)


def test_a_list_that_does_not_parse_counts_as_the_default():
    assert host_is_allowed(host="blog.example.com", site_domain="example.com", allowed_hostnames="ex*mple.com")
    assert not host_is_allowed(host="evil.example", site_domain="example.com", allowed_hostnames="ex*mple.com")


def test_an_event_from_a_foreign_host_is_accepted_not_recorded_and_counted(client):
    site = SiteFactory(domain="example.com")

    recorded = [post_event(client, "https://www.example.com/"), post_event(client, "https://blog.example.com/x")]
    dropped = [post_event(client, "https://evil.example/"), post_event(client, "https://example.com.evil.example/")]

    assert [response.status_code for response in recorded + dropped] == [202, 202, 202, 202]
    assert all(response.content == b"" for response in dropped)
    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/", "/x"]
    write_dropped_events()
    site.refresh_from_db()
    assert site.dropped_events == 2
    assert site.last_dropped_at is not None


def test_by_default_events_from_this_machines_names_are_dropped_and_counted(client):
    site = SiteFactory(domain="example.com")

    statuses = [
        post_event(client, url).status_code
        for url in ["http://localhost:8000/admin-looking-path", "http://127.0.0.1/", "http://[::1]:8080/x"]
    ]

    assert statuses == [202, 202, 202]
    assert Pageview.objects.count() == 0
    write_dropped_events()
    site.refresh_from_db()
    assert site.dropped_events == 3


def test_events_from_localhost_are_recorded_once_the_owner_lists_it(client):
    SiteFactory(domain="example.com", allowed_hostnames="example.com\nlocalhost")

    statuses = [
        post_event(client, "http://localhost:8000/draft").status_code,
        post_event(client, "http://[::1]/").status_code,
    ]

    assert statuses == [202, 202]
    assert list(Pageview.objects.values_list("path", flat=True)) == ["/draft"]


def test_a_bot_on_a_foreign_host_is_counted_too_and_a_bot_on_an_allowed_one_is_not(client):
    site = SiteFactory(domain="example.com")

    post_event(client, "https://evil.example/", user_agent="curl/8.5.0")
    post_event(client, "https://example.com/", user_agent="curl/8.5.0")
    write_dropped_events()

    site.refresh_from_db()
    assert (site.dropped_events, Pageview.objects.count()) == (1, 0)


def test_the_count_is_added_in_the_database_so_a_stale_copy_cannot_lose_a_drop():
    stale = SiteFactory(domain="example.com")

    add_drops(site_id=stale.pk, count=1, last_at=NOW)
    add_drops(site_id=stale.pk, count=1, last_at=NOW + dt.timedelta(minutes=1))
    stale.nickname = "Edited in the admin meanwhile"
    stale.save()

    site = Site.objects.get()
    assert (site.dropped_events, site.last_dropped_at, site.nickname) == (
        2,
        NOW + dt.timedelta(minutes=1),
        "Edited in the admin meanwhile",
    )


def test_ingestion_of_a_foreign_page_returns_nothing():
    site = SiteFactory(domain="example.com", allowed_hostnames="shop.example.org")
    client = Client(ip="8.8.8.8", user_agent=CHROME)

    foreign = ingest_pageview(
        event=PageviewEvent(domain="example.com", url="https://example.com/"), client=client, now=NOW
    )
    listed = ingest_pageview(
        event=PageviewEvent(domain="example.com", url="https://shop.example.org/cart"), client=client, now=NOW
    )

    assert foreign is None
    assert listed.path == "/cart"
    write_dropped_events()
    site.refresh_from_db()
    assert site.dropped_events == 1


def test_the_owner_edits_the_list_and_sees_it_normalised_with_the_drop_count(owner_client, owner):
    site = SiteFactory(owner=owner, domain="example.com", dropped_events=7)

    response = owner_client.post(
        f"/admin/analytics/site/{site.pk}/change/",
        {"domain": "example.com", "timezone": "UTC", "allowed_hostnames": "WWW.Example.com, *.Example.com\nlocalhost"},
    )
    page = owner_client.get(f"/admin/analytics/site/{site.pk}/change/").content.decode()

    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.allowed_hostnames, site.dropped_events) == ("example.com\n*.example.com\nlocalhost", 7)
    assert 'name="allowed_hostnames"' in page
    assert '<div class="readonly">7</div>' in page


def test_a_bad_entry_is_a_form_error_naming_it(owner_client, owner):
    site = SiteFactory(owner=owner, domain="example.com")

    response = owner_client.post(
        f"/admin/analytics/site/{site.pk}/change/",
        {"domain": "example.com", "timezone": "UTC", "allowed_hostnames": "example.com\nbücher.example"},
    )

    assert response.status_code == 200
    assert "bücher.example is not a host name" in response.content.decode()
    site.refresh_from_db()
    assert site.allowed_hostnames == ""
