"""Each shipped language in a real browser: Chromium sends its locale as Accept-Language, the page answers in it.

The numbers are a cached `SiteStats` written here by hand (7 days, 31,441 unique visitors, 123,456 pageviews,
a 42.5% bounce rate), so every expected string below is typed in, as that language writes it.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from analytics.periods import Period
from analytics.stats import CountRow, CountryRow, DayRow, PageRow, SiteStats, SourceRow
from sharing.stats_cache import CachedStats, stats_cache_key
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# locale, <html lang>, direction, chart heading, pages heading, pageviews, bounce rate
LANGUAGES = [
    ("en-US", "en", "ltr", "Visitors and pageviews per day", "Top pages", "123,456", "42.5%"),
    ("de-DE", "de", "ltr", "Besucher und Seitenaufrufe pro Tag", "Top-Seiten", "123.456", "42,5 %"),
    ("fr-FR", "fr", "ltr", "Visiteurs et pages vues par jour", "Pages les plus vues", "123 456", "42,5 %"),
    ("es-ES", "es", "ltr", "Visitantes y páginas vistas por día", "Páginas principales", "123.456", "42,5 %"),
    ("pt-BR", "pt-br", "ltr", "Visitantes e visualizações de página por dia", "Páginas principais", "123.456", "42,5%"),
    ("ja-JP", "ja", "ltr", "日別の訪問者とページビュー", "人気のページ", "123,456", "42.5%"),
    ("zh-CN", "zh-hans", "ltr", "每日访客和浏览量", "热门页面", "123,456", "42.5%"),
    ("ar", "ar", "rtl", "الزوار ومشاهدات الصفحات يوميًا", "أهم الصفحات", "123,456", "42.5%"),
]


@pytest.fixture
def share_token(live_server):
    site = SiteFactory(domain="example.com", nickname="Example Blog", timezone="Europe/Amsterdam")
    now = timezone.now()
    today = timezone.localtime(now, site.tzinfo).date()
    stats = SiteStats(
        period="7d",
        unique_visitors=31441,
        pageviews=123456,
        bounce_rate=42.5,
        avg_session_duration=185.3,
        pages=[PageRow("/", 1250, 980)],
        referrers=[SourceRow("direct", 2000)],
        devices=[CountRow("desktop", 20000)],
        browsers=[CountRow("Firefox", 12000)],
        countries=[CountryRow("DE", "Germany", 15000)],
        daily=[DayRow(today - dt.timedelta(days=6 - n), 1000 * n, 500 * n) for n in range(7)],
    )
    cache.set(
        stats_cache_key(site=site, period=Period.DAYS_7, now=now),
        CachedStats(stats=stats, body=b"{}", computed_at=now),
        timeout=600,
    )
    return ShareTokenFactory(site=site)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("locale", "lang", "direction", "chart", "pages", "pageviews", "bounce"), LANGUAGES)
def test_the_share_page_reads_in_each_shipped_language(
    live_server, chromium, share_token, locale, lang, direction, chart, pages, pageviews, bounce
):
    context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/share/{share_token.raw_token}/?period=7d")

        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("html").get_attribute("dir") == direction
        assert page.locator("#chart-heading").inner_text() == chart
        assert page.locator("#pages-heading").inner_text() == pages
        assert words(page.locator('[data-metric="pageviews"] .metric-value').inner_text()) == pageviews
        assert words(page.locator('[data-metric="bounce"] .metric-value').inner_text()) == bounce
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["de", "ja", "ar"])
def test_screenshots_of_the_share_page_in_german_japanese_and_arabic(live_server, chromium, locale):
    """With GLIMPSE_UPDATE_SCREENSHOTS=1 they also go to docs/screenshots/ for the README."""
    site = SiteFactory(domain="example.com", nickname="Example Blog", timezone="Europe/Amsterdam")
    seed_demo_traffic(site=site, now=timezone.now(), days=60, visitors_per_day=300)
    token = ShareTokenFactory(site=site)
    for width, height in ((390, 844), (1280, 900)):
        context = chromium.new_context(
            locale=locale, viewport={"width": width, "height": height}, device_scale_factor=2 if width < 800 else 1
        )
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/share/{token.raw_token}/?period=30d")
            assert page.evaluate("document.documentElement.scrollWidth") == width
            save_screenshot(page, f"share-{locale}-{width}.png", full_page=False)
        finally:
            context.close()


def save_screenshot(page, name: str, *, full_page: bool) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("GLIMPSE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, Path(settings.BASE_DIR) / "docs" / "screenshots" / name)
