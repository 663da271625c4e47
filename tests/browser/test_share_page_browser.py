"""The share page in a real browser (Debian's Chromium driven by Playwright) against a live server.

Screenshots land in test-artifacts/; with GLIMPSE_UPDATE_SCREENSHOTS=1 they are also
copied to docs/screenshots/ for the README.
"""

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DOCS_NAMES = {"share-1280.png", "share-390.png", "share-dark-1280.png", "share-embedded.png"}


def reading_count(value: int) -> str:
    return f"{value:,}"


def reading_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def api_stats(base_url: str, raw_token: str, period: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/api/public/stats?token={raw_token}&period={period}") as response:
        return json.load(response)


def expected_headlines(stats: dict) -> dict[str, str]:
    return {
        "visitors": reading_count(stats["uniqueVisitors"]),
        "pageviews": reading_count(stats["pageviews"]),
        "bounce": f"{stats['bounceRate']:.1f}%",
        "duration": reading_duration(stats["avgSessionDuration"]),
    }


def shown_headlines(page) -> dict[str, str]:
    return {
        card.get_attribute("data-metric"): card.locator(".metric-value").inner_text().strip()
        for card in page.locator("[data-metric]").all()
    }


def assert_page_matches_api(page, stats: dict) -> None:
    """Day charts show the API's daily series; 24 hours show their clock hours adding up to its pageviews: the
    hour the window starts in and the running hour, both partial, and 23 whole hours between them (a window
    starting on the hour to the microsecond, with 24 whole hours, is not expected of a live clock)."""
    assert shown_headlines(page) == expected_headlines(stats)
    days = page.locator(".chart-plot .day")
    shown_days = [(day.get_attribute("data-pageviews"), day.get_attribute("data-visitors")) for day in days.all()]
    if stats["period"] == "24h":
        assert days.count() == 25
        assert page.locator(".chart-plot .day.is-partial").count() == 2
        assert sum(int(pageviews.replace(",", "")) for pageviews, _ in shown_days) == stats["pageviews"]
    else:
        assert shown_days == [
            (reading_count(day["pageviews"]), reading_count(day["uniqueVisitors"])) for day in stats["daily"]
        ]
    first_page = page.locator('[data-breakdown="pages"] tbody tr').first
    assert first_page.locator(".label-text").inner_text() == stats["pages"][0]["path"]
    assert first_page.locator("td").first.inner_text() == reading_count(stats["pages"][0]["pageviews"])


def save_screenshot(page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("GLIMPSE_UPDATE_SCREENSHOTS") == "1" and name in DOCS_NAMES:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / name)


@pytest.fixture
def shared_demo(live_server):
    site = SiteFactory(domain="example.com", nickname="Example Blog", timezone="Europe/Amsterdam")
    visitors_per_day = 300 if os.environ.get("GLIMPSE_UPDATE_SCREENSHOTS") == "1" else 50
    # 60 days, so that 30 days have a previous period to compare with.
    seed_demo_traffic(site=site, now=timezone.now(), days=60, visitors_per_day=visitors_per_day)
    return ShareTokenFactory(site=site, allowed_periods=["24h", "7d", "30d"])


def test_share_page_matches_the_api_switches_period_and_stays_on_its_own_origin(
    live_server, chromium, browser_page, shared_demo
):
    page = browser_page
    requests, problems = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    share_url = f"{live_server.url}/share/{shared_demo.raw_token}/"

    response = page.goto(share_url)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.locator("h1").inner_text() == "Example Blog"
    assert page.locator(".period-label").inner_text() == "Last 24 hours"
    assert_page_matches_api(page, api_stats(live_server.url, shared_demo.raw_token, "24h"))

    page.get_by_role("link", name="30 days").click()
    page.wait_for_url("**/?period=30d")
    assert page.locator(".period-label").inner_text() == "Last 30 days"
    assert page.locator('.periods a[aria-current="page"]').inner_text().split() == ["30", "days"]
    assert_page_matches_api(page, api_stats(live_server.url, shared_demo.raw_token, "30d"))

    bar_heights = [bar.bounding_box()["height"] for bar in page.locator(".chart-plot .day .bar").all()]
    assert len(bar_heights) == 30
    assert sum(height > 10 for height in bar_heights) >= 25
    assert page.locator(".chart-plot .line:not(.previous-line) polyline").bounding_box()["width"] > 300
    page.locator(".chart-plot .day").nth(20).hover()
    tooltip = page.locator(".chart-tooltip")
    assert tooltip.is_visible()
    assert tooltip.inner_text().startswith(page.locator(".chart-plot .day").nth(20).get_attribute("data-label"))

    page.mouse.move(0, 0)
    assert tooltip.is_hidden()
    compared = api_stats(live_server.url, shared_demo.raw_token, "30d&compare=previous")["previous"]
    change = page.locator('[data-metric="pageviews"] .metric-change')
    assert "vs the previous 30 days" in change.inner_text()
    assert f"({reading_count(compared['pageviews'])})" in change.inner_text()
    assert page.locator(".previous-line polyline").bounding_box()["width"] > 300
    last_day = page.locator(".chart-plot .day").last
    assert "is-partial" in last_day.get_attribute("class")
    assert last_day.locator(".bar").evaluate("bar => getComputedStyle(bar).fill") == 'url("#partial-hatch")'
    save_screenshot(page, "share-1280.png")
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone_page = phone.new_page()
        phone_page.on("request", lambda request: requests.append(request.url))
        phone_page.goto(f"{share_url}?period=30d")
        assert phone_page.evaluate("document.documentElement.scrollWidth") == 390
        save_screenshot(phone_page, "share-390.png", full_page=False)
        save_screenshot(phone_page, "share-390-full.png")
    finally:
        phone.close()

    assert problems == []
    assert requests
    assert [url for url in requests if not url.startswith(f"{live_server.url}/")] == []


def test_24_hours_hour_by_hour_csv_downloads_and_a_tidy_print(live_server, browser_page, shared_demo):
    page = browser_page
    page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=24h")
    assert page.locator("#chart-heading").inner_text() == "Visitors and pageviews per hour"
    # Clock hours: the hour the window starts in and the running hour (both partial), 23 whole hours between.
    assert page.locator(".chart-plot .day").count() == 25
    assert page.locator(".chart-plot .day.is-partial").count() == 2
    save_screenshot(page, "share-24h-1280.png")

    with page.expect_download() as hourly:
        page.locator(".csv-links a").first.click()
    rows = Path(hourly.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "Hour starting,Pageviews,Unique visitors,Counted from,Counted until" and len(rows) == 26
    assert {row.split(",")[0][14:16] for row in rows[1:]} == {"00"}  # every hour starts on the hour
    stats = api_stats(live_server.url, shared_demo.raw_token, "24h")
    assert sum(int(row.split(",")[1]) for row in rows[1:]) == stats["pageviews"]
    with page.expect_download() as pages_csv:
        page.locator('[data-breakdown="pages"] .csv-link').click()
    assert pages_csv.value.suggested_filename.startswith("example.com-pages-24h-")
    first_row = Path(pages_csv.value.path()).read_text(encoding="utf-8-sig").splitlines()[1]
    assert (
        first_row
        == f"{stats['pages'][0]['path']},{stats['pages'][0]['pageviews']},{stats['pages'][0]['uniqueVisitors']}"
    )

    page.emulate_media(media="print")
    assert page.locator(".periods").is_hidden() and page.locator(".csv-link").first.is_hidden()
    scroll = page.locator('[data-breakdown="pages"] .table-scroll')
    assert scroll.evaluate("box => getComputedStyle(box).maxHeight") == "none"
    assert scroll.evaluate("box => box.scrollHeight <= box.clientHeight + 1")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "share-print.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")


def test_a_dark_theme_on_request_whatever_the_system_says(live_server, chromium, shared_demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=30d&theme=dark")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
        page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=30d&theme=light&embed=1")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 250)"
        page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=30d&theme=dark")
        save_screenshot(page, "share-dark-1280.png", full_page=False)
    finally:
        context.close()


def test_share_page_says_no_for_a_period_outside_the_share(live_server, browser_page, shared_demo):
    response = browser_page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=365d")

    assert response.status == 403
    assert browser_page.locator("h1").inner_text() == "\u201cLast 365 days\u201d isn\u2019t part of this share"
    browser_page.get_by_role("link", name="Last 30 days").click()
    browser_page.wait_for_url("**/?period=30d")
    assert browser_page.locator(".period-label").inner_text() == "Last 30 days"
