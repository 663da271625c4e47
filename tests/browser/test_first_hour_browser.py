"""A new site owner's first hour, in Debian's Chromium driven by Playwright, against a live server.

Create the owner, log in, add a site, copy its snippet into a local page served on another port,
visit that page from two browsers, watch the setup check turn green and the dashboard count two
visitors, create a link limited to 30 and 90 days, open its copied URLs, reload the shown-once page.

Screenshots land in test-artifacts/; with GLIMPSE_UPDATE_SCREENSHOTS=1 the dashboard and site page
ones are also copied to docs/screenshots/ for the README.
"""

import datetime as dt
import io
import json
import os
import shutil
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from analytics.models import Site
from sharing.models import ShareToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
DOCS_SCREENSHOTS = Path(django_settings.BASE_DIR) / "docs" / "screenshots"
PASSWORD = "a long enough password"
VISITOR_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
]


class LocalSite:
    """The owner's own test page, on 127.0.0.1 at a port of its own: whatever HTML it is given."""

    def __init__(self) -> None:
        self.html = ""
        local = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = local.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_site():
    served = LocalSite()
    yield served
    served.close()


def save_screenshot(page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
    if os.environ.get("GLIMPSE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, DOCS_SCREENSHOTS / name)


def visit(chromium, url: str, user_agent: str) -> list[str]:
    """One visitor's browser: loads the page, waits for its pageview to be accepted; returns console lines."""
    context = chromium.new_context(user_agent=user_agent)
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        with page.expect_response(lambda response: response.url.endswith("/api/event")) as event:
            page.goto(url)
        assert event.value.status == 202
        return console
    finally:
        context.close()


def test_a_new_owners_first_hour(chromium, live_server, local_site, settings):
    settings.GLIMPSE_BASE_URL = live_server.url
    out = io.StringIO()
    call_command("create_site_owner", "olivia", "--email", "olivia@example.com", "--password", PASSWORD, stdout=out)
    login_url = out.getvalue().strip().rsplit(" ", 1)[-1]
    assert login_url == f"{live_server.url}/admin/"

    owner = chromium.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    owner.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    admin = owner.new_page()
    problems: list[str] = []
    admin.on("pageerror", lambda error: problems.append(str(error)))
    try:
        admin.goto(login_url)
        admin.fill("#id_username", "olivia")
        admin.fill("#id_password", PASSWORD)
        admin.click("input[type=submit]")

        # Add a site: the browser's own time zone is preselected; saving lands on the site's page.
        admin.goto(f"{live_server.url}/admin/analytics/site/add/")
        assert admin.input_value("#id_timezone") == "Asia/Tokyo"
        admin.fill("#id_domain", "olivias-garden.example")
        admin.fill("#id_nickname", "Olivia's Garden")
        # Her local test page is on 127.0.0.1: listed next to the domain, as the site page says, it may report.
        admin.fill("#id_allowed_hostnames", "olivias-garden.example, *.olivias-garden.example, 127.0.0.1")
        admin.click("input[name=_save]")
        site = Site.objects.get()
        admin.wait_for_url(f"**/admin/analytics/site/{site.pk}/change/")
        assert site.timezone == "Asia/Tokyo"
        check = admin.locator(".glimpse-setup")
        assert check.get_attribute("data-status") == "waiting"
        assert admin.locator("#glimpse-setup-message").inner_text() == "Waiting for the first pageview…"
        admin.click("button[data-copy-from=glimpse-snippet]")
        snippet = admin.evaluate("navigator.clipboard.readText()")
        assert snippet == (
            f'<script defer data-domain="olivias-garden.example" src="{live_server.url}/js/script.js"></script>'
        )
        save_screenshot(admin, "site-page-1280.png")

        # Pasted as is into a local page, the script sends nothing and says why in the console.
        local_site.html = f"<!doctype html><title>Olivia's local copy</title>{snippet}<h1>Hello</h1>"
        context = chromium.new_context(user_agent=VISITOR_AGENTS[0])
        page = context.new_page()
        events: list[str] = []
        page.on("request", lambda request: events.append(request.url) if "/api/event" in request.url else None)
        with page.expect_console_message() as message:
            page.goto(local_site.url)
        page.wait_for_timeout(300)
        context.close()
        assert message.value.text == "Glimpse: not sent: local page; add data-allow-local to the tag to test locally"
        assert events == []

        # With data-allow-local, as the site page says, two browsers are two visitors.
        local_site.html = local_site.html.replace("<script defer", "<script defer data-allow-local")
        for agent in VISITOR_AGENTS:
            assert visit(chromium, local_site.url, agent) == []

        # The setup check turns green by itself, without a reload.
        admin.evaluate("window.notReloaded = true")
        admin.wait_for_selector(".glimpse-setup[data-status=receiving]", timeout=20_000)
        assert admin.evaluate("window.notReloaded") is True
        assert admin.locator("#glimpse-setup-message").inner_text().startswith("Receiving pageviews.")

        # The dashboard counts both visitors, live and in the period's numbers.
        admin.click(f"a[href='/admin/analytics/site/{site.pk}/dashboard/']")
        admin.wait_for_url("**/dashboard/")
        assert admin.locator("#live-visitors").inner_text() == "2"
        assert admin.locator("#live-last").inner_text().startswith("Last pageview received")
        assert admin.locator('[data-metric="visitors"] .metric-value').inner_text() == "2"
        assert admin.locator('[data-metric="pageviews"] .metric-value').inner_text() == "2"

        # A link for 30 and 90 days, made from the dashboard's 30-day view.
        admin.get_by_role("link", name="30 days").click()
        admin.wait_for_url("**/dashboard/?period=30d")
        admin.click("#new-share-link")
        admin.wait_for_url("**/sharetoken/add/**")
        assert admin.is_checked("input[name=allowed_periods][value='30d']")
        admin.check("input[name=allowed_periods][value='90d']")
        admin.fill("#id_label", "For my accountant")
        admin.click("input[value='Create share link']")
        admin.wait_for_url("**/issued/**")
        issued_url = admin.url
        share_url = admin.input_value("#glimpse-share-url")
        api_url = admin.input_value("#glimpse-api-url")
        assert api_url.endswith("&period=30d")
        assert admin.input_value("#glimpse-iframe").startswith(f'<iframe src="{share_url}?period=30d&embed=1"')

        reader = chromium.new_context()
        try:
            shared = reader.new_page()
            response = shared.goto(share_url)
            assert response.status == 200
            assert shared.locator(".period-label").inner_text() == "Last 30 days"
            assert shared.locator('[data-metric="visitors"] .metric-value').inner_text() == "2"
        finally:
            reader.close()
        with urllib.request.urlopen(api_url) as answer:
            assert answer.status == 200
            body = json.load(answer)
        assert (body["period"], body["allowedPeriods"], body["uniqueVisitors"]) == ("30d", ["30d", "90d"], 2)

        # Reloading the shown-once page shows nothing again and makes no second link.
        admin.reload()
        assert "cannot be shown again" in admin.locator("#content-main").inner_text()
        assert share_url.rsplit("/", 2)[-2] not in admin.content()
        assert ShareToken.objects.count() == 1
        assert admin.url == issued_url

        take_owner_screenshots(chromium, admin, live_server, site)
        assert problems == []
    finally:
        owner.close()


def take_owner_screenshots(chromium, admin, live_server, site) -> None:
    """The dashboard with a month of demo traffic behind the two real visits, and the site page, at 1280 and 390 px."""
    seed_demo_traffic(site=site, now=timezone.now() - dt.timedelta(minutes=10), days=30, visitors_per_day=120)
    cache.clear()
    dashboard = f"{live_server.url}/admin/analytics/site/{site.pk}/dashboard/?period=30d"
    admin.goto(dashboard)
    assert admin.evaluate("document.documentElement.scrollWidth") == 1280
    save_screenshot(admin, "owner-dashboard-1280.png", full_page=False)
    storage = admin.context.storage_state()
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, storage_state=storage, timezone_id="Asia/Tokyo"
    )
    try:
        page = phone.new_page()
        page.goto(dashboard)
        assert page.evaluate("document.documentElement.scrollWidth") == 390
        save_screenshot(page, "owner-dashboard-390.png", full_page=False)
        page.goto(f"{live_server.url}/admin/analytics/site/{site.pk}/change/")
        save_screenshot(page, "site-page-390.png", full_page=False)
    finally:
        phone.close()
