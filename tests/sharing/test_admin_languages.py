"""The admin pages Glimpse adds, in the admin user's language, and a share link's own language set there."""

import pytest
from bs4 import BeautifulSoup

from sharing.models import ShareToken
from tests.factories import ShareTokenFactory, SiteFactory

ADD = "/admin/sharing/sharetoken/add/"
LIST = "/admin/sharing/sharetoken/"


@pytest.fixture
def owned_site(owner):
    return SiteFactory(owner=owner, domain="olivia.example", timezone="Europe/Amsterdam")


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def test_a_link_is_created_with_its_own_language(owner_client, owned_site):
    page = parse(owner_client.get(ADD))
    response = owner_client.post(
        ADD, {"site": owned_site.pk, "label": "Für das Team", "expires_at_0": "", "expires_at_1": "", "language": "de"}
    )

    assert [option["value"] for option in page.select('select[name="language"] option')] == [
        "", "en", "de", "fr", "es", "pt-br", "ja", "zh-hans", "ar",
    ]  # fmt: skip
    assert response.status_code == 302
    assert ShareToken.objects.get().language == "de"


def test_the_share_link_pages_speak_the_admin_users_language(owner_client, owned_site):
    ShareTokenFactory(site=owned_site, label="Kundenbericht")

    listing = parse(owner_client.get(LIST, headers={"accept-language": "de"}))
    add = parse(owner_client.get(ADD, headers={"accept-language": "ja"}))

    assert listing.html["lang"] == "de"
    assert [text(th) for th in listing.select("#result_list thead th")][1:4] == [
        "Bezeichnung und Website",
        "Status",
        "Zeiträume",
    ]
    assert text(listing.select_one(".glimpse-status")) == "Aktiv"
    assert add.select_one('input[name="_save"]')["value"] == "共有リンクを作成"
    assert text(add.select_one('label[for="id_language"]')) == "言語:"


def test_the_site_page_and_its_setup_check_speak_arabic(owner_client, owned_site):
    page = parse(owner_client.get(f"/admin/analytics/site/{owned_site.pk}/change/", headers={"accept-language": "ar"}))

    assert page.html["dir"] == "rtl"
    assert text(page.select_one("#glimpse-setup-message")) == "في انتظار أول مشاهدة…"
    assert page.select_one("#glimpse-setup-message")["aria-live"] == "polite"
    assert page.select_one("button[data-copy-from]")["data-copied"] == "تم النسخ!"
