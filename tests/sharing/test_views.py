"""The share page, /share/<token>/: status, content and headers of every case.

"Now" is Wednesday 2026-03-18 15:30 UTC; the site is in Europe/Amsterdam (UTC+1 then).
Every expected number is counted by hand from this table (times in UTC):

visitor  time              path                     source      device   browser        country
1        03-18 10:00       /                        google.com  desktop  Chrome         US
1        03-18 10:02       /pricing                 (same session)
1        03-18 10:05       /                        (session: 3 views, 300 s)
2        03-18 14:00       LONG_PATH                direct      mobile   Mobile Safari  GB (bounce)
3        03-16 09:00       /                        direct      desktop  Firefox        unknown (bounce)
4        02-01 12:00       /old                     bing.com    tablet   Chrome         DE (bounce; 90d/365d only)

24h (03-17 15:30 to now): visitors 1-2, 4 views, 2 sessions, 1 bounce (50.0%), (300 + 0) / 2 s = 2m 30s.
7d and 30d: visitors 1-3, 5 views, 3 sessions, 2 bounces (66.7%), 300 / 3 s = 1m 40s.
90d and 365d: visitors 1-4, 6 views, 4 sessions, 3 bounces (75.0%), 300 / 4 s = 1m 15s.
"""

import datetime as dt
import json
import re

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from analytics.periods import Period
from analytics.stats import DayRow, PageRow, SiteStats
from sharing.services import revoke_share_token
from sharing.stats_cache import CachedStats, stats_cache_key
from tests.analytics.traffic import record_visits
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
LONG_PATH = "/blog/2026/03/how-we-count-visitors-without-cookies-and-why-it-matters-for-everyone"
VISITS = [
    (1, "2026-03-18T10:00", "/", "google.com", "desktop", "Chrome", "US"),
    (1, "2026-03-18T10:02", "/pricing", "google.com", "desktop", "Chrome", "US"),
    (1, "2026-03-18T10:05", "/", "google.com", "desktop", "Chrome", "US"),
    (2, "2026-03-18T14:00", LONG_PATH, "direct", "mobile", "Mobile Safari", "GB"),
    (3, "2026-03-16T09:00", "/", "direct", "desktop", "Firefox", ""),
    (4, "2026-02-01T12:00", "/old", "bing.com", "tablet", "Chrome", "DE"),
]
HEADLINES = {
    "24h": {"visitors": "2", "pageviews": "4", "bounce": "50.0%", "duration": "2m 30s"},
    "7d": {"visitors": "3", "pageviews": "5", "bounce": "66.7%", "duration": "1m 40s"},
    "30d": {"visitors": "3", "pageviews": "5", "bounce": "66.7%", "duration": "1m 40s"},
    "90d": {"visitors": "4", "pageviews": "6", "bounce": "75.0%", "duration": "1m 15s"},
    "365d": {"visitors": "4", "pageviews": "6", "bounce": "75.0%", "duration": "1m 15s"},
}
LABELS = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
}
DATE_RANGES = {
    "24h": "17\u201318 Mar 2026",
    "7d": "12\u201318 Mar 2026",
    "30d": "17 Feb \u2013 18 Mar 2026",
    "90d": "19 Dec 2025 \u2013 18 Mar 2026",
    "365d": "19 Mar 2025 \u2013 18 Mar 2026",
}
# 24 hours from 16:30 CET: 16:00 counted from 16:30, 23 whole clock hours, 16:00 today up to 16:30.
CHART_DAYS = {"24h": 25, "7d": 7, "30d": 30, "90d": 90, "365d": 365}
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"
NOT_FOUND_HEADING = "This share link doesn\u2019t work"


@pytest.fixture
def site(frozen_now):
    site = SiteFactory(domain="example.com", nickname="My Website", timezone="Europe/Amsterdam")
    record_visits(site, VISITS)
    return site


@pytest.fixture
def token(site):
    return ShareTokenFactory(site=site)


def page_url(share_token, **params) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"/share/{share_token.raw_token}/" + (f"?{query}" if query else "")


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def headlines(html: BeautifulSoup) -> dict[str, str]:
    return {card["data-metric"]: text(card.select_one(".metric-value")) for card in html.select("[data-metric]")}


def table_rows(html: BeautifulSoup, key: str) -> list[tuple[str, str, str, str, str]]:
    """(label, title, first number, second number, bar width) for each row of one breakdown table."""
    return [
        (
            text(row.select_one(".label-text")),
            row.select_one("th")["title"],
            text(row.select("td")[0]),
            text(row.select("td")[1]),
            row.select_one(".share-bar rect")["width"],
        )
        for row in html.select(f'[data-breakdown="{key}"] tbody tr')
    ]


def chart_columns(html: BeautifulSoup) -> int:
    """A column per `.day`, or for a lean chart (a year) per row of the figures embedded for its table."""
    embedded = html.select_one("script#chart-rows")
    return len(json.loads(embedded.string)) if embedded else len(html.select(".chart-plot .day"))


def assert_share_headers(response, *, cache_control: str):
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Content-Security-Policy"] == CSP
    assert response["Cache-Control"] == cache_control
    assert "X-Frame-Options" not in response
    assert "Access-Control-Allow-Origin" not in response
    html = parse(response)
    assert html.select_one('meta[name="robots"]')["content"] == "noindex"


def test_the_page_shows_the_last_seven_days_by_default(client, token):
    response = client.get(page_url(token))

    assert response.status_code == 200
    assert_share_headers(response, cache_control="private, no-cache")
    html = parse(response)
    assert text(html.h1) == "My Website"
    assert text(html.select_one(".domain")) == "example.com"
    assert text(html.select_one(".period-label")) == "Last 7 days"
    assert text(html.select_one(".date-range")) == "12\u201318 Mar 2026"
    computed = html.select_one(".computed time")
    assert computed["datetime"] == "2026-03-18T16:30:00+01:00"
    assert text(computed) == "18 Mar 2026, 16:30 CET"
    assert headlines(html) == HEADLINES["7d"]
    assert text(html.title) == "My Website · Last 7 days · Glimpse"


@pytest.mark.parametrize("period", ["24h", "7d", "30d", "90d", "365d"])
def test_each_period_shows_its_own_numbers_words_and_days(client, token, period):
    response = client.get(page_url(token, period=period))

    assert response.status_code == 200
    assert_share_headers(response, cache_control="private, no-cache")
    html = parse(response)
    assert headlines(html) == HEADLINES[period]
    assert text(html.select_one(".period-label")) == LABELS[period]
    assert text(html.select_one(".date-range")) == DATE_RANGES[period]
    assert [link["href"] for link in html.select('.periods a[aria-current="page"]')] == [f"?period={period}"]
    assert chart_columns(html) == CHART_DAYS[period]


def test_the_switcher_offers_only_the_tokens_periods_as_plain_links(client, site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["30d", "7d"])

    response = client.get(page_url(share_token, period="30d"))

    assert response.status_code == 200
    links = parse(response).select(".periods a")
    assert [(text(link), link["href"]) for link in links] == [("7 days", "?period=7d"), ("30 days", "?period=30d")]
    assert [link.get("aria-current") for link in links] == [None, "page"]


def test_the_daily_chart_has_a_bar_per_day_and_a_text_alternative(client, token):
    html = parse(client.get(page_url(token)))

    plot = html.select_one("svg.chart-plot")
    assert plot["role"] == "img"
    assert plot["aria-labelledby"] == "chart-heading chart-summary"
    assert text(html.select_one("#chart-summary")) == (
        "Daily pageviews and unique visitors, 12\u201318 Mar 2026. Busiest day: Wed 18 Mar 2026, "
        "with 4 pageviews and 2 unique visitors."
    )
    days = [(day["data-label"], day["data-pageviews"], day["data-visitors"]) for day in plot.select(".day")]
    assert days == [
        ("Thu 12 Mar 2026", "0", "0"),
        ("Fri 13 Mar 2026", "0", "0"),
        ("Sat 14 Mar 2026", "0", "0"),
        ("Sun 15 Mar 2026", "0", "0"),
        ("Mon 16 Mar 2026", "1", "1"),
        ("Tue 17 Mar 2026", "0", "0"),
        ("Wed 18 Mar 2026 (so far)", "4", "2"),
    ]
    # The axis tops out at 4 (steps of 1): Monday's bar is a quarter of the height, Wednesday's all of it.
    assert [bar["height"] for bar in plot.select(".day .bar")] == ["0%", "0%", "0%", "0%", "25%", "0%", "100%"]
    rows = [[text(cell) for cell in row.select("th, td")] for row in html.select(".chart-data tbody tr")]
    assert rows[4] == ["Mon 16 Mar 2026", "1", "1", "0"]
    assert rows[6] == ["Wed 18 Mar 2026 (so far)", "4", "2", "0"]


def test_a_years_chart_is_one_outline_of_bars_and_its_table_comes_from_embedded_figures(client, token):
    html = parse(client.get(page_url(token, period="365d")))

    # 365 columns from 19 Mar 2025: 1 Feb 2026 is column 319, 16 Mar 362, today 364. The axis tops out at 4
    # (today's 4 pageviews, steps of 1): a day with 1 pageview is a bar from 75 down to 100.
    assert html.select_one(".chart-plot svg.bars")["viewbox"] == "0 0 365 100"
    assert html.select_one(".chart-plot .bars path")["d"] == "M0 100H319V75H320V100H362V75H363V100H364V100Z"
    today = html.select_one(".chart-plot .day.is-partial")
    assert (today["data-label"], today.rect["height"]) == ("Wed 18 Mar 2026 (so far)", "100%")
    rows = json.loads(html.select_one("script#chart-rows").string)
    assert len(rows) == 365
    assert rows[0] == ["Wed 19 Mar 2025", "0", "0", "0"]
    assert rows[319] == ["Sun 1 Feb 2026", "1", "1", "0"]
    assert rows[362] == ["Mon 16 Mar 2026", "1", "1", "0"]
    assert rows[364] == ["Wed 18 Mar 2026 (so far)", "4", "2", "0"]
    # Without JavaScript the table stays hidden, and the reader is sent to the CSV file.
    assert not html.select(".chart-data tbody tr")
    assert html.select_one(".chart-data .table-scroll").has_attr("hidden")
    assert "/export/daily.csv?period=365d" in html.select_one(".chart-data noscript").decode_contents()


def test_tables_show_counts_shares_and_bars_relative_to_the_top_row(client, token):
    html = parse(client.get(page_url(token)))

    assert table_rows(html, "pages") == [
        ("/", "/", "3", "2", "100%"),
        (LONG_PATH, LONG_PATH, "1", "1", "33.333%"),
        ("/pricing", "/pricing", "1", "1", "33.333%"),
    ]
    assert table_rows(html, "referrers") == [
        ("Direct / none", "direct", "2", "67%", "100%"),
        ("google.com", "google.com", "1", "33%", "50%"),
    ]
    assert table_rows(html, "devices") == [
        ("Desktop", "desktop", "2", "67%", "100%"),
        ("Mobile", "mobile", "1", "33%", "50%"),
    ]
    assert table_rows(html, "browsers") == [
        ("Chrome", "Chrome", "1", "33%", "100%"),
        ("Firefox", "Firefox", "1", "33%", "100%"),
        ("Mobile Safari", "Mobile Safari", "1", "33%", "100%"),
    ]
    assert table_rows(html, "countries") == [
        ("United Kingdom", "United Kingdom (GB)", "1", "33%", "100%"),
        ("United States", "United States (US)", "1", "33%", "100%"),
    ]
    headings = [[text(th) for th in table.select("thead th")] for table in html.select(".breakdown table")]
    assert headings == [
        ["Page", "Pageviews", "Visitors"],
        ["Source", "Visits", "Share"],
        ["Device", "Visitors", "Share"],
        ["Browser", "Visitors", "Share"],
        ["Country", "Visitors", "Share"],
    ]
    assert [text(h2) for h2 in html.select(".breakdown h2")] == [
        "Top pages",
        "Top sources",
        "Devices",
        "Browsers",
        "Countries",
    ]


def test_numbers_come_from_the_shared_stats_cache_formatted_for_reading(client, token, site):
    cached = SiteStats(
        period="7d",
        unique_visitors=1250,
        pageviews=3480,
        bounce_rate=42.5,
        avg_session_duration=185.3,
        pages=[PageRow("/", 850, 620)],
        referrers=[],
        devices=[],
        browsers=[],
        countries=[],
        daily=[DayRow(dt.date(2026, 3, 18), 3480, 1250)],
    )
    computed_at = NOW - dt.timedelta(minutes=4)
    entry = CachedStats(stats=cached, body=b"{}", computed_at=computed_at)
    cache.set(stats_cache_key(site=site, period=Period.DAYS_7, now=NOW), entry)

    html = parse(client.get(page_url(token)))

    assert headlines(html) == {"visitors": "1,250", "pageviews": "3,480", "bounce": "42.5%", "duration": "3m 05s"}
    assert table_rows(html, "pages") == [("/", "/", "850", "620", "100%")]
    assert text(html.select_one(".computed time")) == "18 Mar 2026, 16:26 CET"


@pytest.mark.parametrize(("period", "label"), [("90d", "Last 90 days"), ("365d", "Last 365 days")])
def test_a_period_the_token_does_not_allow_is_a_friendly_403_linking_the_allowed_ones(client, site, period, label):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d", "30d"])

    response = client.get(page_url(share_token, period=period))

    assert response.status_code == 403
    assert_share_headers(response, cache_control="no-store")
    html = parse(response)
    assert text(html.h1) == f"\u201c{label}\u201d isn\u2019t part of this share"
    assert "My Website" in text(html.select_one(".notice"))
    links = [(text(link), link["href"]) for link in html.select(".notice-links a")]
    assert links == [("Last 7 days", "?period=7d"), ("Last 30 days", "?period=30d")]
    assert not html.select("[data-metric]")


def test_an_unknown_period_is_403_without_echoing_it(client, token):
    response = client.get(page_url(token, period="<b>forever</b>"))

    assert response.status_code == 403
    assert_share_headers(response, cache_control="no-store")
    html = parse(response)
    assert text(html.h1) == "That period isn\u2019t available"
    assert "forever" not in response.content.decode()
    assert len(html.select(".notice-links a")) == 5


def test_an_empty_period_means_seven_days(client, token):
    response = client.get(page_url(token, period=""))

    assert response.status_code == 200
    assert headlines(parse(response)) == HEADLINES["7d"]


@pytest.mark.parametrize("kind", ["unknown", "revoked", "expired"])
def test_an_unusable_link_is_the_same_friendly_404(client, site, kind):
    raw_token = {
        "unknown": "glimpse_not-a-real-token",
        "revoked": ShareTokenFactory(site=site, revoked=True).raw_token,
        "expired": ShareTokenFactory(site=site, expires_at=NOW - dt.timedelta(seconds=1)).raw_token,
    }[kind]

    response = client.get(f"/share/{raw_token}/")

    assert response.status_code == 404
    assert_share_headers(response, cache_control="no-store")
    html = parse(response)
    assert text(html.h1) == NOT_FOUND_HEADING
    assert "My Website" not in response.content.decode()
    assert "example.com" not in response.content.decode()


def test_a_revoked_link_is_404_on_the_next_load_although_its_stats_are_cached(client, token, site):
    assert client.get(page_url(token)).status_code == 200
    assert cache.get(stats_cache_key(site=site, period=Period.DAYS_7, now=NOW)) is not None

    revoke_share_token(token, now=timezone.now())
    response = client.get(page_url(token))

    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert text(parse(response).h1) == NOT_FOUND_HEADING


def test_a_site_without_traffic_says_no_data_everywhere(client, frozen_now):
    share_token = ShareTokenFactory(site=SiteFactory(domain="quiet.example"))

    response = client.get(page_url(share_token))

    assert response.status_code == 200
    assert_share_headers(response, cache_control="private, no-cache")
    html = parse(response)
    assert text(html.h1) == "quiet.example"
    assert html.select_one(".domain") is None
    assert headlines(html) == {"visitors": "0", "pageviews": "0", "bounce": "0.0%", "duration": "0s"}
    assert html.select_one(".chart-plot") is None
    assert [text(empty) for empty in html.select(".empty")] == ["No data for this period"] * 6
    assert not html.select("tbody tr")


def test_embed_mode_drops_the_page_chrome_and_keeps_embedding_in_links(client, token):
    response = client.get(page_url(token, embed=1))

    assert response.status_code == 200
    assert_share_headers(response, cache_control="private, no-cache")
    html = parse(response)
    assert "is-embedded" in html.body["class"]
    assert html.select_one(".topbar") is None
    assert html.select_one("footer") is None
    assert headlines(html) == HEADLINES["7d"]
    assert [link["href"] for link in html.select(".periods a")] == [
        f"?period={period}&embed=1" for period in ("24h", "7d", "30d", "90d", "365d")
    ]


def test_embed_mode_keeps_the_403_and_404_frameable_too(client, site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d"])

    forbidden = client.get(page_url(share_token, period="30d", embed=1))
    missing = client.get("/share/glimpse_nothing/?embed=1")

    assert (forbidden.status_code, missing.status_code) == (403, 404)
    for response in (forbidden, missing):
        assert_share_headers(response, cache_control="no-store")
        assert parse(response).select_one(".topbar") is None
    assert [link["href"] for link in parse(forbidden).select(".notice-links a")] == ["?period=7d&embed=1"]


def test_only_share_pages_may_be_framed(client, db):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in response


def test_the_page_needs_no_inline_code_and_loads_only_its_own_assets(client, token):
    html = parse(client.get(page_url(token)))

    assert [script["src"] for script in html.select("script")] == ["/static/glimpse/share.js"]
    assert not html.select("style")
    assert not html.select("[style]")
    assert not [tag for tag in html.find_all(True) if any(name.startswith("on") for name in tag.attrs)]
    urls = [tag.get("src") or tag.get("href") for tag in html.select("[src], [href]")]
    assert urls
    export = re.escape(f"/share/{token.raw_token}/export/")
    assert all(re.match(rf"^(/static/glimpse/|\?period=|{export}[a-z]+\.csv\?period=7d$)", url) for url in urls), urls


def test_static_assets_are_served_by_the_app(client, token):
    for path, content_type in [
        ("/static/glimpse/share.css", "text/css"),
        ("/static/glimpse/share.js", "text/javascript"),
        ("/static/glimpse/favicon.svg", "image/svg+xml"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith(content_type), path


def test_other_methods_are_refused_without_a_csrf_page(token):
    response = Client(enforce_csrf_checks=True).post(page_url(token))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_page_view_counts_as_a_use_of_the_token_and_refusals_do_not(client, site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d"])

    client.get(page_url(share_token, period="30d"))
    share_token.refresh_from_db()
    assert (share_token.use_count, share_token.last_used_at) == (0, None)

    client.get(page_url(share_token))
    share_token.refresh_from_db()
    assert (share_token.use_count, share_token.last_used_at) == (1, NOW)


@pytest.mark.parametrize(
    ("allowed", "label"), [(["30d", "90d"], "Last 30 days"), (["24h", "7d"], "Last 24 hours"), ([], "Last 7 days")]
)
def test_the_page_as_copied_opens_on_the_links_first_allowed_period(client, site, allowed, label):
    share_token = ShareTokenFactory(site=site, allowed_periods=allowed)

    response = client.get(page_url(share_token))

    assert response.status_code == 200
    assert text(parse(response).select_one(".period-label")) == label


def test_the_api_keeps_seven_days_as_its_default_even_for_a_link_without_it(client, site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["30d", "90d"])

    without_period = client.get("/api/public/stats", {"token": share_token.raw_token})
    with_period = client.get("/api/public/stats", {"token": share_token.raw_token, "period": "30d"})

    assert (without_period.status_code, without_period.json()) == (403, {"error": "Period not allowed for this share"})
    assert (with_period.status_code, with_period.json()["period"]) == (200, "30d")
