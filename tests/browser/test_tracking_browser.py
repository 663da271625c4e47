"""The tracking snippet in a real browser: Debian's Chromium, driven by Playwright, against a live server."""

import json
import urllib.request

import pytest

from analytics.models import Pageview, Session
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Headless Chromium announces itself as "HeadlessChrome", which ingestion drops as a bot.
DESKTOP_CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
PAGE = """<!doctype html>
<html><head><title>A site owner's page</title>
<script defer data-domain="example.com" {extra} src="{origin}/js/script.js"></script>
{inline}</head>
<body><a id="next" href="/shop/checkout">Checkout</a>
<script>
document.getElementById("next").addEventListener("click", function (event) {{
  event.preventDefault();
  history.pushState({{}}, "", event.target.href);
}});
</script></body></html>"""


@pytest.fixture
def browser_context(chromium):
    context = chromium.new_context(user_agent=DESKTOP_CHROME, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def open_page(context, origin, *, extra="data-allow-local", inline=""):
    """Serve the owner's static page from the live server's own origin (127.0.0.1), as a local test site would be."""
    page = context.new_page()
    events = []
    page.on("request", lambda request: events.append(request) if request.url.endswith("/api/event") else None)
    html = PAGE.format(origin=origin, extra=extra, inline=inline)
    page.route(f"{origin}/shop/", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    return page, events


def test_a_page_load_and_a_pushstate_navigation_are_two_pageviews_of_one_session(browser_context, live_server):
    # The page is served from the live server's host, so the site allows it, as a developer testing locally would.
    site = SiteFactory(domain="example.com", allowed_hostnames="localhost\n127.0.0.1")
    share = ShareTokenFactory(site=site)
    page, events = open_page(browser_context, live_server.url)

    with page.expect_response(lambda response: response.url.endswith("/api/event")) as first:
        page.goto(f"{live_server.url}/shop/")
    assert first.value.status == 202
    with page.expect_response(lambda response: response.url.endswith("/api/event")) as second:
        page.click("#next")
    assert second.value.status == 202

    assert [json.loads(event.post_data)["url"] for event in events] == [
        f"{live_server.url}/shop/",
        f"{live_server.url}/shop/checkout",
    ]
    assert events[0].headers["content-type"] == "text/plain;charset=UTF-8"
    session = Session.objects.get()
    assert (session.pageviews, session.entry_path, session.exit_path) == (2, "/shop/", "/shop/checkout")
    assert (session.device_type, session.browser, session.source) == ("desktop", "Chrome", "direct")

    with urllib.request.urlopen(f"{live_server.url}/api/public/stats?token={share.raw_token}&period=24h") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        stats = json.load(response)
    assert (stats["pageviews"], stats["uniqueVisitors"], stats["bounceRate"]) == (2, 1, 0)
    assert stats["pages"] == [
        {"path": "/shop/", "pageviews": 1, "uniqueVisitors": 1},
        {"path": "/shop/checkout", "pageviews": 1, "uniqueVisitors": 1},
    ]


@pytest.mark.parametrize(
    ("extra", "inline"),
    [("", ""), ("data-allow-local", "<script>window.glimpseIgnore = true</script>")],
    ids=["local-page-without-data-allow-local", "glimpseIgnore"],
)
def test_the_script_stays_silent_on_local_or_ignored_pages(browser_context, live_server, extra, inline):
    SiteFactory(domain="example.com")
    page, events = open_page(browser_context, live_server.url, extra=extra, inline=inline)

    with page.expect_response(lambda response: response.url.endswith("/js/script.js")):
        page.goto(f"{live_server.url}/shop/")
    page.click("#next")
    page.wait_for_timeout(300)

    assert events == []
    assert not Pageview.objects.exists()
