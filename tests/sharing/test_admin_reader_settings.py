"""Password, sections and embedding origins of a share link in the admin: editable while the link is changeable,
recorded in its history (never the password), refused with a message when malformed."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import check_password

from sharing.models import ShareToken
from tests.factories import ShareTokenFactory, SiteFactory

ADD = "/admin/sharing/sharetoken/add/"
PASSWORD = "correct horse 42"


@pytest.fixture
def owned_site(owner):
    return SiteFactory(owner=owner, domain="olivia.example", timezone="Europe/Amsterdam")


def change_url(share_token: ShareToken) -> str:
    return f"/admin/sharing/sharetoken/{share_token.pk}/change/"


def form(site, **overrides) -> dict:
    return {"site": site.pk, "label": "Client report", "expires_at_0": "", "expires_at_1": "", **overrides}


def everything_stored_about(share_token: ShareToken) -> str:
    history = " ".join(LogEntry.objects.values_list("change_message", flat=True))
    return f"{history} {ShareToken.objects.filter(pk=share_token.pk).values().get()}"


def test_a_link_is_created_with_a_password_hidden_sections_and_embedding_origins(owner_client, owned_site):
    page = BeautifulSoup(owner_client.get(ADD).content.decode(), "html.parser")
    response = owner_client.post(
        ADD,
        form(
            owned_site,
            password=PASSWORD,
            hidden_sections=["referrers", "countries"],
            frame_origins="https://intranet.example\nhttp://localhost:8080/",
        ),
    )

    assert page.select_one('input[name="password"]')["autocomplete"] == "new-password"
    assert [box["value"] for box in page.select('input[name="hidden_sections"]')] == [
        "daily", "pages", "referrers", "devices", "browsers", "countries",
    ]  # fmt: skip
    assert response.status_code == 302
    share_token = ShareToken.objects.get()
    assert check_password(PASSWORD, share_token.password_hash)
    assert share_token.hidden_sections == ["referrers", "countries"]
    assert share_token.frame_origins == ["https://intranet.example", "http://localhost:8080"]
    assert LogEntry.objects.get().change_message.endswith(
        "password: yes; sections: Chart and daily numbers, Top pages, Devices, Browsers; "
        "embedding: https://intranet.example, http://localhost:8080."
    )
    assert PASSWORD not in everything_stored_about(share_token)


def test_changes_are_recorded_with_old_and_new_values_and_never_the_password(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, label="Board")
    base = {"label": "Board", "expires_at_0": "", "expires_at_1": ""}

    owner_client.post(
        change_url(share_token),
        {**base, "password": PASSWORD, "hidden_sections": ["pages"], "frame_origins": "https://a.example"},
    )
    owner_client.post(
        change_url(share_token),
        {**base, "password": "another password", "hidden_sections": ["pages"], "frame_origins": "https://a.example"},
    )
    owner_client.post(change_url(share_token), {**base, "remove_password": "on"})

    messages = list(LogEntry.objects.order_by("pk").values_list("change_message", flat=True))
    assert messages == [
        "Password set. Sections changed from All sections to Chart and daily numbers, Top sources, Devices, "
        "Browsers, Countries. Embedding origins changed from Any site to https://a.example.",
        "Password changed.",
        "Password removed. Sections changed from Chart and daily numbers, Top sources, Devices, Browsers, Countries "
        "to All sections. Embedding origins changed from https://a.example to Any site.",
    ]
    share_token.refresh_from_db()
    assert (share_token.password_hash, share_token.hidden_sections, share_token.frame_origins) == ("", [], [])
    assert PASSWORD not in everything_stored_about(share_token)


def test_the_change_page_never_shows_the_password_or_its_hash(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, password=PASSWORD)

    page = owner_client.get(change_url(share_token)).content.decode()

    assert PASSWORD not in page and share_token.password_hash not in page
    html = BeautifulSoup(page, "html.parser")
    assert not html.select_one('input[name="password"]').get("value")
    assert html.select_one('input[name="remove_password"]') is not None
    assert "Set (readers must type it)" in page


def test_a_malformed_origin_is_a_form_error_and_changes_nothing(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, label="Board")

    response = owner_client.post(
        change_url(share_token),
        {"label": "Board", "expires_at_0": "", "expires_at_1": "", "frame_origins": "https://a.example; script-src *"},
    )

    assert response.status_code == 200
    assert "is not an origin" in response.content.decode()
    share_token.refresh_from_db()
    assert share_token.frame_origins == []


@pytest.mark.parametrize("trait", ["expired", "revoked"])
def test_an_expired_or_revoked_link_shows_its_reader_settings_read_only(owner_client, owned_site, trait):
    share_token = ShareTokenFactory(
        site=owned_site, password=PASSWORD, hidden_sections=["pages"], frame_origins=["https://a.example"]
    )
    ShareToken.objects.filter(pk=share_token.pk).update(
        **({"revoked_at": share_token.created_at} if trait == "revoked" else {"expires_at": share_token.created_at})
    )
    before = ShareToken.objects.values("password_hash", "hidden_sections", "frame_origins").get(pk=share_token.pk)

    page = owner_client.get(change_url(share_token)).content.decode()
    owner_client.post(
        change_url(share_token),
        {"label": "Renamed", "remove_password": "on", "hidden_sections": [], "frame_origins": ""},
    )

    assert 'name="password"' not in page and 'name="hidden_sections"' not in page
    assert "https://a.example" in page and "Set (readers must type it)" in page
    after = ShareToken.objects.values("password_hash", "hidden_sections", "frame_origins", "label").get(
        pk=share_token.pk
    )
    assert after == {**before, "label": "Renamed"}
