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
DOCS_NAMES = {"share-1280.png", "share-390.png"}


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
    assert shown_headlines(page) == expected_headlines(stats)
    days = page.locator(".chart-plot .day")
    assert days.count() == len(stats["daily"])
    shown_days = [(day.get_attribute("data-pageviews"), day.get_attribute("data-visitors")) for day in days.all()]
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
    seed_demo_traffic(site=site, now=timezone.now(), days=30, visitors_per_day=visitors_per_day)
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
    assert page.locator(".chart-plot polyline").bounding_box()["width"] > 300
    page.locator(".chart-plot .day").nth(20).hover()
    tooltip = page.locator(".chart-tooltip")
    assert tooltip.is_visible()
    assert tooltip.inner_text().startswith(page.locator(".chart-plot .day").nth(20).get_attribute("data-label"))

    page.mouse.move(0, 0)
    assert tooltip.is_hidden()
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


def test_share_page_says_no_for_a_period_outside_the_share(live_server, browser_page, shared_demo):
    response = browser_page.goto(f"{live_server.url}/share/{shared_demo.raw_token}/?period=365d")

    assert response.status == 403
    assert browser_page.locator("h1").inner_text() == "\u201cLast 365 days\u201d isn\u2019t part of this share"
    browser_page.get_by_role("link", name="Last 30 days").click()
    browser_page.wait_for_url("**/?period=30d")
    assert browser_page.locator(".period-label").inner_text() == "Last 30 days"
