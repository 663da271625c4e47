"""Spam is dropped at ingestion: listed referrer spammers, and the sources and paths an owner blocked."""

import json

import pytest
from django.test import override_settings

from analytics.blocklists import is_blocked, is_referrer_spam, path_matches, referrer_spammers, source_matches
from analytics.models import Pageview, Session
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def send(client, url: str, referrer: str = "", address: str = "203.0.113.9"):
    body = json.dumps({"domain": "example.com", "url": url, "referrer": referrer})
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT="Firefox", REMOTE_ADDR=address)


def test_the_kept_list_of_referrer_spammers_is_read_from_the_package():
    assert "semalt.com" in referrer_spammers()
    assert len(referrer_spammers()) == 271


def test_a_listed_spammer_and_its_subdomains_are_spam_and_others_are_not():
    assert is_referrer_spam("semalt.com")
    assert is_referrer_spam("www.Semalt.com")
    assert not is_referrer_spam("notsemalt.com")
    assert not is_referrer_spam("google.com")
    assert not is_referrer_spam("direct")


def test_a_newer_list_file_adds_its_hosts(tmp_path):
    newer = tmp_path / "spammers.txt"
    newer.write_text("# comment\nfresh-spam.example\n\n")
    referrer_spammers.cache_clear()
    try:
        with override_settings(REFERRER_SPAM_LIST_FILE=str(newer)):
            assert is_referrer_spam("www.fresh-spam.example")
            assert len(referrer_spammers()) == 272
    finally:
        referrer_spammers.cache_clear()


def test_an_owners_source_matches_a_value_or_a_host_with_its_subdomains():
    blocked = ["cheap-pills", "spam.example"]

    assert source_matches("Cheap-Pills", blocked)
    assert source_matches("www.spam.example", blocked)
    assert not source_matches("antispam.example", blocked)
    assert not source_matches("cheap-pills-2", blocked)


def test_an_owners_path_matches_exactly_or_by_prefix_with_a_star():
    assert path_matches("/wp-login.php", ["/wp-*"])
    assert path_matches("/admin", ["/admin"])
    assert not path_matches("/admin/users", ["/admin"])
    assert not path_matches("/", ["/wp-*"])


def test_events_from_spam_are_accepted_but_never_stored(client):
    SiteFactory(domain="example.com", blocked_sources="Cheap-pills-at-spam.example", blocked_paths="/wp-*")

    statuses = [
        send(client, "https://example.com/?utm_source=Cheap-pills-at-spam.example").status_code,
        send(client, "https://example.com/", referrer="https://semalt.com/").status_code,
        send(client, "https://example.com/wp-login.php").status_code,
        send(client, "https://example.com/pricing", referrer="https://news.example/").status_code,
    ]

    assert statuses == [202, 202, 202, 202]
    assert list(Pageview.objects.values_list("path", flat=True)) == ["/pricing"]
    assert list(Session.objects.values_list("source", flat=True)) == ["news.example"]


def test_an_empty_blocklist_blocks_nothing():
    assert not is_blocked(source="google.com", path="/", blocked_sources="", blocked_paths="")


def test_the_owner_blocks_a_source_in_the_admin_and_its_stored_visits_leave_the_numbers(owner_client, owner):
    site = SiteFactory(owner=owner, domain="example.com")
    send(owner_client, "https://example.com/?utm_source=Cheap-pills")
    send(owner_client, "https://example.com/pricing")  # the same visit: its source is the campaign
    send(owner_client, "https://example.com/", address="198.51.100.4")
    assert Pageview.objects.count() == 3

    response = owner_client.post(
        f"/admin/analytics/site/{site.pk}/change/",
        {"domain": "example.com", "timezone": "UTC", "blocked_sources": " cheap-pills \n\n", "blocked_paths": ""},
        follow=True,
    )

    assert response.status_code == 200
    site.refresh_from_db()
    assert site.blocked_sources == "cheap-pills"
    assert list(Pageview.objects.values_list("path", flat=True)) == ["/"]
    assert "Removed 1 blocked visit (2 pageviews) from the numbers." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("blocked_paths", "wp-login.php", "wp-login.php is not a path"),
        ("blocked_paths", "/a b", "/a b is not a path"),
        ("blocked_sources", "spam\x1b.example", "is not a source"),
    ],
)
def test_the_admin_refuses_entries_that_are_not_paths_or_sources(owner_client, owner, field, text, message):
    site = SiteFactory(owner=owner, domain="example.com")

    response = owner_client.post(
        f"/admin/analytics/site/{site.pk}/change/", {"domain": "example.com", "timezone": "UTC", field: text}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    site.refresh_from_db()
    assert (site.blocked_paths, site.blocked_sources) == ("", "")


def test_a_process_that_looks_the_site_up_again_drops_the_newly_blocked_path(client):
    site = SiteFactory(domain="example.com")
    send(client, "https://example.com/wp-admin")
    site.blocked_paths = "/wp-*"
    site.save()

    from analytics.process_state import reset_process_state

    reset_process_state()  # a new process, or the minute a process remembers a site for has passed
    send(client, "https://example.com/wp-admin")

    assert Pageview.objects.count() == 1
