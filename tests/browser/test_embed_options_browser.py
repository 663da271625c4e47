"""The show-once page's embed options: theme and background go into the iframe snippet and its live preview."""

import pytest

from tests.factories import SiteFactory

pytestmark = pytest.mark.browser


def test_theme_and_background_change_the_snippet_and_the_preview(chromium, live_server, admin_user, settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"
    site = SiteFactory(owner=admin_user, domain="embed.example", nickname="Embed Example")
    context = chromium.new_context(base_url=live_server.url, color_scheme="light")
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.goto(f"/admin/sharing/sharetoken/add/?site={site.pk}")
        page.click("input[value='Create share link']")
        page.wait_for_selector("#glimpse-iframe")
        token = page.input_value("#glimpse-token")
        preview = page.frame_locator("#glimpse-embed-preview")
        assert preview.locator("h1").inner_text() == "Embed Example"

        page.locator("#glimpse-embed-preview").scroll_into_view_if_needed()  # as an owner looking at it
        page.select_option("#glimpse-embed-theme", "dark")
        page.select_option("#glimpse-embed-background", "transparent")

        query = "?period=7d&embed=1&theme=dark&background=transparent"
        snippet = f'<iframe src="https://stats.example.net/share/{token}/{query}" title="Website statistics"'
        assert page.input_value("#glimpse-iframe").startswith(snippet)
        assert page.locator("#glimpse-embed-preview").get_attribute("src") == f"/share/{token}/{query}"
        page.wait_for_function(
            """() => {
              const framed = document.getElementById('glimpse-embed-preview').contentDocument;
              const dark = framed?.documentElement?.dataset.theme === 'dark';
              return dark && framed.body?.classList.contains('is-transparent');
            }"""
        )
        body = preview.locator("body")
        assert "is-transparent" in body.get_attribute("class")
        assert body.evaluate("body => getComputedStyle(body).backgroundColor") == "rgba(0, 0, 0, 0)"

        page.select_option("#glimpse-embed-theme", "auto")
        page.select_option("#glimpse-embed-background", "")
        assert f'/share/{token}/?period=7d&embed=1" title' in page.input_value("#glimpse-iframe")
    finally:
        context.close()
