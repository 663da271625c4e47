"""The show-once page in a real browser: copy buttons fill the clipboard without reloading the page."""

import pytest

from tests.factories import SiteFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def clipboard_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def test_copy_buttons_put_the_urls_on_the_clipboard_without_a_reload(clipboard_page, live_server, admin_user):
    site = SiteFactory(owner=admin_user, domain="copy.example")
    page = clipboard_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.goto(f"/admin/sharing/sharetoken/add/?site={site.pk}")
    page.fill("#id_label", "Browser test")
    page.click("input[value='Create share link']")
    page.wait_for_selector("#glimpse-share-url")
    page.evaluate("window.stillTheSamePage = true")

    copied = {}
    for field in ["glimpse-share-url", "glimpse-api-url", "glimpse-iframe", "glimpse-token"]:
        button = page.locator(f"button[data-copy='{field}']")
        button.click()
        page.wait_for_function("button => button.textContent === 'Copied!'", arg=button.element_handle())
        copied[field] = page.evaluate("navigator.clipboard.readText()")

    assert page.evaluate("window.stillTheSamePage") is True
    token = page.input_value("#glimpse-token")
    assert token.startswith("glimpse_")
    assert copied == {
        "glimpse-share-url": page.input_value("#glimpse-share-url"),
        "glimpse-api-url": page.input_value("#glimpse-api-url"),
        "glimpse-iframe": page.input_value("#glimpse-iframe"),
        "glimpse-token": token,
    }
    assert copied["glimpse-share-url"].endswith(f"/share/{token}/")
    assert copied["glimpse-api-url"].endswith(f"/api/public/stats?token={token}&period=7d")
    assert f'/share/{token}/?period=7d&embed=1" title="Website statistics"' in copied["glimpse-iframe"]
    assert all(url.startswith(live_server.url) for url in requested)
