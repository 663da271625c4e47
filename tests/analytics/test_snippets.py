import pytest

from analytics.snippets import install_snippet
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

ESCAPED_SNIPPET = (
    "&lt;script defer data-domain=&quot;example.com&quot; "
    "src=&quot;https://glimpse.example/js/script.js&quot;&gt;&lt;/script&gt;"
)


def test_the_snippet_names_the_site_and_this_glimpse(settings):
    settings.GLIMPSE_BASE_URL = "https://glimpse.example"
    site = SiteFactory(domain="WWW.Example.com")

    assert install_snippet(site) == (
        '<script defer data-domain="example.com" src="https://glimpse.example/js/script.js"></script>'
    )


def test_the_site_admin_page_shows_the_snippet_as_text_to_paste(client, settings):
    settings.GLIMPSE_BASE_URL = "https://glimpse.example"
    owner = UserFactory(is_superuser=True)
    site = SiteFactory(domain="example.com", owner=owner)
    client.force_login(owner)

    response = client.get(f"/admin/analytics/site/{site.pk}/change/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert ESCAPED_SNIPPET in html
    assert '<script defer data-domain="example.com"' not in html
