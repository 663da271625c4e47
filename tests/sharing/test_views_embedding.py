"""Embedding: per-link framing origins (CSP frame-ancestors), where the page posts its height, theme and
background parameters, the embed host script; and sections a link hides, absent from the page.

"Now" is 2026-03-18 15:30 UTC, traffic from tests/analytics/traffic.py.
"""

import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup

from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
BASE_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"


@pytest.fixture
def site(frozen_now, visited_site):
    return visited_site


def get(client, share_token, **params):
    return client.get(f"/share/{share_token.raw_token}/", params)


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_by_default_any_site_may_frame_a_link_and_the_height_goes_to_any_parent(client, site):
    response = get(client, ShareTokenFactory(site=site), embed=1)

    assert response["Content-Security-Policy"] == f"{BASE_POLICY}; frame-ancestors *"
    assert "X-Frame-Options" not in response
    assert parse(response).body["data-embed-parents"] == "*"


def test_a_link_with_origins_may_be_framed_only_by_them_and_posts_its_height_only_to_them(client, site):
    share_token = ShareTokenFactory(site=site, frame_origins=["https://intranet.example", "http://localhost:8080"])

    responses = [
        get(client, share_token, embed=1),
        get(client, share_token, period="bogus"),
        client.get(f"/share/{share_token.raw_token}/export/pages.csv"),
    ]

    for response in responses:
        assert response["Content-Security-Policy"] == (
            f"{BASE_POLICY}; frame-ancestors https://intranet.example http://localhost:8080"
        )
    assert json.loads(parse(responses[0]).body["data-embed-parents"]) == [
        "https://intranet.example",
        "http://localhost:8080",
    ]


def test_outside_embed_mode_the_page_posts_no_height(client, site):
    assert not parse(get(client, ShareTokenFactory(site=site))).body.get("data-embed-parents")


@pytest.mark.parametrize(
    ("params", "theme", "scheme", "transparent"),
    [
        ({}, None, "light dark", False),
        ({"theme": "auto"}, None, "light dark", False),
        ({"theme": "dark"}, "dark", "dark", False),
        ({"theme": "light", "background": "transparent"}, "light", "light", True),
        ({"theme": "purple", "background": "red"}, None, "light dark", False),
    ],
)
def test_theme_and_background_parameters(client, site, params, theme, scheme, transparent):
    html = parse(get(client, ShareTokenFactory(site=site), embed=1, **params))

    assert html.html.get("data-theme") == theme
    assert html.select_one('meta[name="color-scheme"]')["content"] == scheme
    assert ("is-transparent" in html.body["class"]) is transparent


def test_period_links_keep_embed_theme_and_background(client, site):
    html = parse(get(client, ShareTokenFactory(site=site), embed=1, theme="dark", background="transparent"))

    assert [link["href"] for link in html.select(".periods a")][:2] == [
        "?period=24h&embed=1&theme=dark&background=transparent",
        "?period=7d&embed=1&theme=dark&background=transparent",
    ]


def test_the_embed_host_script_is_served_by_the_app(client, db):
    response = client.get("/js/embed.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    script = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"glimpse:height" in script and b"event.origin !== glimpseOrigin" in script


def test_hidden_sections_are_absent_from_the_page_and_the_shown_ones_unchanged(client, site):
    open_link = ShareTokenFactory(site=site)
    partial = ShareTokenFactory(site=site, hidden_sections=["referrers", "countries", "daily"])

    full = parse(get(client, open_link, period="7d"))
    response = get(client, partial, period="7d")
    html = parse(response)

    assert response.status_code == 200
    assert [card["data-breakdown"] for card in html.select("[data-breakdown]")] == ["pages", "devices", "browsers"]
    assert not html.select(".chart-card") and not html.select(".csv-links")
    body = response.content.decode()
    for leak in ["google.com", "news.ycombinator.com", "United States", "Germany", "export/daily", "export/referrers"]:
        assert leak not in body
    for key in ["pages", "devices", "browsers"]:
        assert str(html.select_one(f'[data-breakdown="{key}"] tbody')) == str(
            full.select_one(f'[data-breakdown="{key}"] tbody')
        )
    assert [m.get_text() for m in html.select(".metric-value")] == [m.get_text() for m in full.select(".metric-value")]
