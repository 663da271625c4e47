"""Embedding and passwords in a real browser: a host page on another origin embeds a share page with
/js/embed.js; the iframe grows to its content (no inner scrollbar), the theme is honoured, a link that lists
its embedding origins refuses every other site; a password-protected link asks once per browser session.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from tests.browser.test_share_page_browser import save_screenshot
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse 42"


class HostPage:
    """A page on its own origin (127.0.0.1, while the live server is `localhost`) that embeds one URL."""

    def __init__(self) -> None:
        self.html = b""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(host.html)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embedding(self, *, src: str, script: str) -> str:
        self.html = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Client intranet</title>"
            "<style>body{font:16px system-ui;margin:24px;background:#fff;color:#111}</style></head><body>"
            "<h1>Our website this month</h1><p>Figures from our analytics, embedded below.</p>"
            f"<iframe src='{src}' title='Website statistics' width='100%' height='300' style='border:0'></iframe>"
            f"<script async src='{script}'></script><p>End of the host page.</p></body></html>"
        ).encode()
        return f"{self.origin}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_page():
    page = HostPage()
    yield page
    page.close()


@pytest.fixture
def demo_site(live_server):
    site = SiteFactory(domain="example.com", nickname="Example Blog", timezone="Europe/Amsterdam")
    seed_demo_traffic(site=site, now=timezone.now(), days=60, visitors_per_day=40)
    return site


def embedded_frame(page):
    page.wait_for_function("document.querySelector('iframe').style.height !== ''", timeout=10_000)
    return page.frames[1]


@pytest.mark.parametrize("width", [1280, 390])
def test_an_embed_on_another_origin_fits_its_content_in_the_requested_theme(
    live_server, chromium, host_page, demo_site, width
):
    share_token = ShareTokenFactory(site=demo_site, frame_origins=[host_page.origin])
    src = f"{live_server.url}/share/{share_token.raw_token}/?period=30d&embed=1&theme=dark"
    context = chromium.new_context(viewport={"width": width, "height": 900}, color_scheme="light")
    try:
        page = context.new_page()
        page.goto(host_page.embedding(src=src, script=f"{live_server.url}/js/embed.js"))
        frame = embedded_frame(page)
        frame.wait_for_load_state("load")
        page.wait_for_timeout(300)

        iframe_height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
        content_height = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
        assert abs(iframe_height - content_height) <= 1
        assert iframe_height > 1000
        assert frame.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
        assert frame.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        if width == 1280:
            # Chromium paints a frame only inside the viewport: make the viewport as tall as the host page.
            page.set_viewport_size({"width": width, "height": page.evaluate("document.body.scrollHeight + 48")})
            page.wait_for_timeout(300)
            save_screenshot(page, "share-embedded.png", full_page=False)
    finally:
        context.close()


def test_a_transparent_embed_shows_the_host_page_behind_it(live_server, browser_page, host_page, demo_site):
    share_token = ShareTokenFactory(site=demo_site)
    src = f"{live_server.url}/share/{share_token.raw_token}/?period=7d&embed=1&theme=light&background=transparent"

    browser_page.goto(host_page.embedding(src=src, script=f"{live_server.url}/js/embed.js"))
    frame = embedded_frame(browser_page)

    assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"


def test_a_site_not_among_the_link_s_origins_cannot_embed_it(live_server, browser_page, host_page, demo_site):
    share_token = ShareTokenFactory(site=demo_site, frame_origins=["https://intranet.example"])
    src = f"{live_server.url}/share/{share_token.raw_token}/?period=7d&embed=1"
    refusals = []
    browser_page.on("console", lambda message: "frame-ancestors" in message.text and refusals.append(message.text))

    browser_page.goto(host_page.embedding(src=src, script=f"{live_server.url}/js/embed.js"))
    browser_page.wait_for_timeout(1500)

    assert refusals
    frame = browser_page.frames[1]
    assert frame.url.startswith("chrome-error://") or frame.evaluate("!document.querySelector('.headlines')")
    assert browser_page.evaluate("document.querySelector('iframe').style.height") == ""


def test_a_password_protected_link_is_asked_once_per_browser_session(live_server, chromium, demo_site):
    share_token = ShareTokenFactory(site=demo_site, password=PASSWORD)
    url = f"{live_server.url}/share/{share_token.raw_token}/?period=7d"
    context = chromium.new_context()
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 401
        assert page.locator(".headlines").count() == 0
        page.fill("#share-password", "not the password")
        page.click("text=Show the statistics")
        assert page.locator(".form-error").inner_text().startswith("That password is not right")
        page.fill("#share-password", PASSWORD)
        page.click("text=Show the statistics")
        page.wait_for_selector(".headlines")
        assert page.url == url
        page.get_by_role("link", name="30 days").click()
        page.wait_for_url("**/?period=30d")
        assert page.locator(".headlines").count() == 1
        assert PASSWORD not in page.url
    finally:
        context.close()
    fresh = chromium.new_context()
    try:
        assert fresh.new_page().goto(url).status == 401
    finally:
        fresh.close()
