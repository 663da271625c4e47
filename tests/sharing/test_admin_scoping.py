"""Two site owners share one admin: neither can see or touch the other's sites or share links by any URL."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from analytics.models import Site, SitePermission
from sharing.models import ShareToken
from sharing.owners import create_site_owner
from tests.factories import ShareTokenFactory, SiteFactory

PASSWORD = "a long enough password"


@pytest.fixture
def alice(db):
    return create_site_owner(username="alice", email="alice@example.com", password=PASSWORD)


@pytest.fixture
def bob(db):
    return create_site_owner(username="bob", email="bob@example.com", password=PASSWORD)


@pytest.fixture
def alice_site(alice):
    return SiteFactory(owner=alice, domain="alice.example", nickname="Alice's blog")


@pytest.fixture
def alice_token(alice_site):
    return ShareTokenFactory(site=alice_site, label="Alice's investors")


@pytest.fixture
def bob_client(client, bob):
    SiteFactory(owner=bob, domain="bob.example")
    client.force_login(bob)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/sharing/sharetoken/{token}/change/",
        "/admin/sharing/sharetoken/{token}/history/",
        "/admin/sharing/sharetoken/{token}/delete/",
        "/admin/sharing/sharetoken/{token}/revoke/",
        "/admin/sharing/sharetoken/{token}/rotate/",
        "/admin/analytics/site/{site}/change/",
        "/admin/analytics/site/{site}/history/",
        "/admin/analytics/site/{site}/delete/",
    ],
)
def test_another_owners_object_urls_are_404(bob_client, alice_site, alice_token, url):
    response = bob_client.get(url.format(token=alice_token.pk, site=alice_site.pk))

    assert response.status_code == 404
    assert "alice" not in response.content.decode().lower()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/sharing/sharetoken/{token}/change/",
        "/admin/sharing/sharetoken/{token}/revoke/",
        "/admin/sharing/sharetoken/{token}/rotate/",
        "/admin/analytics/site/{site}/change/",
    ],
)
def test_posting_to_another_owners_objects_is_404_and_changes_nothing(bob_client, alice_site, alice_token, url):
    response = bob_client.post(
        url.format(token=alice_token.pk, site=alice_site.pk),
        {
            "label": "pwned",
            "domain": "pwned.example",
            "timezone": "UTC",
            "grace": "0",
            "password": "bob knows it now",
            "remove_password": "on",
            "hidden_sections": ["pages", "referrers"],
            "frame_origins": "https://bob.example",
        },
    )

    assert response.status_code == 404
    alice_token.refresh_from_db()
    alice_site.refresh_from_db()
    assert alice_token.label == "Alice's investors"
    assert (alice_token.password_hash, alice_token.hidden_sections, alice_token.frame_origins) == ("", [], [])
    assert alice_token.revoked_at is None
    assert alice_site.domain == "alice.example"
    assert ShareToken.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_missing_ids_answer_like_foreign_ones(bob_client):
    assert bob_client.get("/admin/sharing/sharetoken/999999/change/").status_code == 404
    assert bob_client.get("/admin/analytics/site/999999/change/").status_code == 404


def test_lists_search_and_filters_show_only_own_objects(bob_client, alice_token):
    tokens = bob_client.get("/admin/sharing/sharetoken/", {"q": "alice"}).content.decode()
    all_tokens = bob_client.get("/admin/sharing/sharetoken/").content.decode()
    sites = bob_client.get("/admin/analytics/site/").content.decode()
    filtered = bob_client.get("/admin/sharing/sharetoken/", {"site__id__exact": alice_token.site_id})

    assert "Alice" not in tokens
    assert "alice.example" not in all_tokens
    assert "Alice" not in all_tokens
    assert "alice.example" not in sites
    assert "bob.example" in sites
    assert "Alice" not in filtered.content.decode()


def test_site_autocomplete_offers_only_own_sites(bob_client, alice_site):
    response = bob_client.get(
        "/admin/autocomplete/",
        {"app_label": "sharing", "model_name": "sharetoken", "field_name": "site", "term": ""},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["bob.example"]


def test_add_form_lists_and_accepts_only_own_sites(bob_client, alice_site):
    page = bob_client.get("/admin/sharing/sharetoken/add/").content.decode()
    response = bob_client.post(
        "/admin/sharing/sharetoken/add/",
        {"site": alice_site.pk, "label": "sneaky", "expires_at_0": "", "expires_at_1": ""},
    )

    assert "alice.example" not in page
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ShareToken.objects.filter(site=alice_site).exists()


@pytest.mark.parametrize("action", ["revoke_selected", "extend_expiry"])
def test_bulk_actions_ignore_another_owners_ids(bob_client, alice_site, action):
    alice_token = ShareTokenFactory(site=alice_site, expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))

    response = bob_client.post(
        "/admin/sharing/sharetoken/",
        {"action": action, "_selected_action": [alice_token.pk], "confirmed": "yes", "index": "0"},
    )

    assert response.status_code == 302
    refreshed = ShareToken.objects.get(pk=alice_token.pk)
    assert refreshed.revoked_at is None
    assert refreshed.expires_at == alice_token.expires_at
    assert not LogEntry.objects.exists()


def test_history_of_own_token_shows_only_its_entries(alice, alice_token, bob_client):
    client = Client()
    client.force_login(alice)
    client.post(f"/admin/sharing/sharetoken/{alice_token.pk}/revoke/")

    alice_history = client.get(f"/admin/sharing/sharetoken/{alice_token.pk}/history/")
    index = bob_client.get("/admin/")

    assert alice_history.status_code == 200
    assert "Revoked: the link stopped working immediately." in alice_history.content.decode()
    assert "Alice" not in index.content.decode()


def test_site_owner_cannot_choose_an_owner_for_a_new_site(bob_client, bob, alice):
    page = bob_client.get("/admin/analytics/site/add/").content.decode()
    response = bob_client.post(
        "/admin/analytics/site/add/",
        {"domain": "new.example", "nickname": "", "timezone": "UTC", "owner": alice.pk},
    )

    assert 'name="owner"' not in page
    assert response.status_code == 302
    assert Site.objects.visible_to(bob, SitePermission.DELETE_SITE).filter(domain="new.example").exists()
    assert not Site.objects.visible_to(alice).exists()
