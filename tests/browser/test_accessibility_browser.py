"""axe-core (the npm package, `npm ci` installs it) finds nothing on the pages Glimpse renders, at any impact.

Each page is opened in Debian's Chromium with the page's Content-Security-Policy bypassed, only so that
axe's script can be added to it; the page itself is served exactly as readers get it.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from sharing.throttling import PublicStatsThrottle
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("needs axe-core from npm: run `npm ci` (make test does it when npm is installed)")
    return AXE.read_text()


@pytest.fixture
def demo(live_server, owner):
    site = SiteFactory(domain="example.com", nickname="Example Blog", timezone="Europe/Amsterdam", owner=owner)
    seed_demo_traffic(site=site, now=timezone.now(), days=35, visitors_per_day=20)
    return {
        "site": site,
        "open": ShareTokenFactory(site=site),
        "narrow": ShareTokenFactory(site=site, allowed_periods=["7d", "30d"], hidden_sections=["referrers", "devices"]),
        "locked": ShareTokenFactory(site=site, password=PASSWORD),
    }


def violations(page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{item['id']} ({item['impact']}): {[node['target'] for node in item['nodes']][:5]}"
        for item in result["violations"]
    ]


def open_page(chromium, url: str, *, color_scheme: str = "light", locale: str = "en-US", cookies: list | None = None):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=color_scheme, locale=locale, bypass_csp=True
    )
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    response = page.goto(url)
    return context, page, response


SHARE_PAGES = {
    "24 hours, light": ("open", "?period=24h", "light", "en-US", 200),
    "a year, its table made in the browser": ("open", "?period=365d", "light", "en-US", 200),
    "a year in Arabic, right to left": ("open", "?period=365d", "dark", "ar", 200),
    "30 days, dark": ("open", "?period=30d", "dark", "en-US", 200),
    "30 days, dark by choice": ("open", "?period=30d&theme=dark", "light", "en-US", 200),
    "hidden sections": ("narrow", "?period=7d", "light", "en-US", 200),
    "Arabic, right to left": ("open", "?period=30d", "light", "ar", 200),
    "Japanese": ("open", "?period=7d", "light", "ja", 200),
    "embedded": ("open", "?period=30d&embed=1&background=transparent", "light", "en-US", 200),
    "password prompt": ("locked", "", "light", "en-US", 401),
    "period not shared (403)": ("narrow", "?period=365d", "light", "en-US", 403),
}


@pytest.mark.parametrize("case", SHARE_PAGES)
def test_share_pages_have_no_axe_violations(live_server, chromium, demo, axe_source, case):
    link, query, scheme, locale, status = SHARE_PAGES[case]
    context, page, response = open_page(
        chromium, f"{live_server.url}/share/{demo[link].raw_token}/{query}", color_scheme=scheme, locale=locale
    )
    try:
        assert response.status == status
        # The chart's table too (the script makes a year's from the figures the page embeds).
        page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")
        assert violations(page, axe_source) == []
    finally:
        context.close()


def test_error_pages_have_no_axe_violations(live_server, chromium, demo, axe_source, monkeypatch):
    pages = [f"{live_server.url}/share/glimpse_nothing_here/", f"{live_server.url}/nowhere/"]
    found = {}
    for url in pages:
        context, page, response = open_page(chromium, url)
        assert response.status == 404
        found[url] = violations(page, axe_source)
        context.close()
    monkeypatch.setattr(PublicStatsThrottle, "allow_request", lambda self, request, view: False)
    monkeypatch.setattr(PublicStatsThrottle, "wait", lambda self: 30)
    context, page, response = open_page(chromium, f"{live_server.url}/share/{demo['open'].raw_token}/")
    assert response.status == 429
    found["429"] = violations(page, axe_source)
    context.close()
    monkeypatch.undo()

    def database_away(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr("sharing.views.resolve_for_reader", database_away)
    for locale in ("en-US", "ar"):
        context, page, response = open_page(
            chromium, f"{live_server.url}/share/{demo['open'].raw_token}/", locale=locale
        )
        assert response.status == 503
        found[f"503 {locale}"] = violations(page, axe_source)
        context.close()

    assert found == {url: [] for url in found}


def logged_in(client, owner, live_server) -> list[dict]:
    client.force_login(owner)
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]


def test_owner_dashboard_and_the_admin_pages_glimpse_adds_have_no_axe_violations(
    live_server, chromium, demo, axe_source, client, owner
):
    cookies = logged_in(client, owner, live_server)
    site, share_token = demo["site"], demo["open"]
    pages = [
        f"/admin/analytics/site/{site.pk}/dashboard/?period=30d",
        f"/admin/analytics/site/{site.pk}/dashboard/?period=24h",
        "/admin/analytics/site/",
        "/admin/analytics/site/add/",
        f"/admin/analytics/site/{site.pk}/change/",
        "/admin/sharing/sharetoken/",
        "/admin/sharing/sharetoken/?q=example",
        "/admin/sharing/sharetoken/add/",
        f"/admin/sharing/sharetoken/{share_token.pk}/change/",
        f"/admin/sharing/sharetoken/{share_token.pk}/rotate/",
        f"/admin/sharing/sharetoken/{share_token.pk}/revoke/",
    ]
    found = {}
    for path in pages:
        context, page, response = open_page(chromium, live_server.url + path, cookies=cookies)
        assert response.status == 200, path
        found[path] = violations(page, axe_source)
        context.close()

    assert found == {path: [] for path in pages}, json.dumps(found, indent=1)


def test_the_sign_in_paused_page_for_a_network_has_no_axe_violations(
    live_server, chromium, axe_source, owner, settings
):
    settings.ADMIN_LOGIN_NETWORK_RATE = "0/hour"  # every network is over the limit before its first try
    context, page, _ = open_page(chromium, f"{live_server.url}/admin/login/")
    try:
        page.fill("#id_username", owner.username)
        page.fill("#id_password", "not the password")
        with page.expect_navigation() as navigation:
            page.click("input[type=submit]")
        assert navigation.value.status == 429
        assert violations(page, axe_source) == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "de", "ar"])
def test_from_320_px_nothing_scrolls_sideways_and_every_target_is_24_px(live_server, chromium, demo, locale):
    context = chromium.new_context(viewport={"width": 320, "height": 700}, locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/share/{demo['open'].raw_token}/?period=30d")

        sticking_out = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(element => {
                  const box = element.getBoundingClientRect();
                  return box.right > 321 || box.left < -1;
                })
                .map(element => `${element.tagName} ${element.className.baseVal ?? element.className}`)"""
        )
        assert sticking_out == []
        assert page.evaluate("document.documentElement.scrollWidth") == 320
        small = page.evaluate(
            """() => [...document.querySelectorAll('main a, main button, main summary, main [tabindex="0"]')]
                .map(element => [element.className.baseVal ?? element.className, element.getBoundingClientRect()])
                .filter(([, box]) => box.width < 24 || box.height < 24)
                .map(([name, box]) => `${name} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
        )
        assert small == []
    finally:
        context.close()


def test_the_charts_values_are_read_from_the_keyboard(live_server, browser_page, demo):
    page = browser_page
    page.goto(f"{live_server.url}/share/{demo['open'].raw_token}/?period=7d")
    days = page.locator(".chart-plot .day")

    page.locator(".chart-plot").focus()
    page.keyboard.press("End")
    tooltip = page.locator(".chart-tooltip")
    assert tooltip.is_visible()
    assert tooltip.get_attribute("aria-live") == "polite"
    assert tooltip.inner_text().startswith(days.last.get_attribute("data-label"))
    page.keyboard.press("ArrowLeft")
    assert tooltip.inner_text().startswith(days.nth(5).get_attribute("data-label"))
    assert f"Pageviews\n{days.nth(5).get_attribute('data-pageviews')}" in tooltip.inner_text()
    page.keyboard.press("Escape")
    assert tooltip.is_hidden()


def test_a_years_lean_chart_reads_its_figures_from_the_table(live_server, browser_page, demo):
    page = browser_page
    page.goto(f"{live_server.url}/share/{demo['open'].raw_token}/?period=365d")
    last_row = page.locator(".chart-data tbody tr").last

    # The table is made in the browser from the figures the page embeds; the bars are one path, and only
    # today's, still running, is a column of its own that says so.
    assert page.locator(".chart-data tbody tr").count() == 365
    assert page.locator(".chart-data tbody tr th[scope=row]").count() == 365
    assert page.locator(".chart-plot .day").count() == 1
    assert page.locator(".chart-plot .day[data-label]").count() == 1
    page.locator(".chart-plot").focus()
    page.keyboard.press("Home")
    first_row = page.locator(".chart-data tbody tr").first
    assert page.locator(".chart-tooltip").inner_text().startswith(first_row.locator("th").text_content())
    page.keyboard.press("End")
    tooltip = page.locator(".chart-tooltip").inner_text()
    assert tooltip.startswith(last_row.locator("th").text_content())
    assert f"Pageviews\n{last_row.locator('td').first.text_content()}" in tooltip
