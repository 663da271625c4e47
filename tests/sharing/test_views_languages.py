"""The share page in the reader's language: `?lang=`, then the link's own language, then Accept-Language.

The numbers are a cached `SiteStats` for 7 days, written here by hand, so every expected string below is
the same numbers as each language writes them. "Now" is Wednesday 2026-03-18 15:30 UTC; the site is in
Europe/Amsterdam (CET, UTC+1 then); the stats were computed four minutes earlier, at 16:26 CET.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from analytics.periods import Period
from analytics.stats import CountRow, CountryRow, DayRow, PageRow, SiteStats, SourceRow
from sharing.stats_cache import CachedStats, stats_cache_key
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
STATS = SiteStats(
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
    daily=[DayRow(dt.date(2026, 3, 12) + dt.timedelta(days=n), 1000 * n, 500 * n) for n in range(7)],
)


@pytest.fixture
def site(frozen_now):
    site = SiteFactory(domain="example.com", nickname="My Website", timezone="Europe/Amsterdam")
    entry = CachedStats(stats=STATS, body=b"{}", computed_at=NOW - dt.timedelta(minutes=4))
    cache.set(stats_cache_key(site=site, period=Period.DAYS_7, now=NOW), entry)
    return site


def page(client, share_token, *, accept: str = "", **params) -> BeautifulSoup:
    query = "&".join(f"{name}={value}" for name, value in {"period": "7d", **params}.items())
    response = client.get(f"/share/{share_token.raw_token}/?{query}", headers={"accept-language": accept})
    assert response.status_code == 200
    return response


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def headlines(html: BeautifulSoup) -> dict[str, str]:
    return {card["data-metric"]: text(card.select_one(".metric-value")) for card in html.select("[data-metric]")}


@pytest.mark.parametrize(
    ("accept", "lang", "direction", "chart_heading", "numbers", "computed"),
    [
        (
            "en-GB,en;q=0.9",
            "en",
            "ltr",
            "Visitors and pageviews per day",
            {"visitors": "31,441", "pageviews": "123,456", "bounce": "42.5%", "duration": "3m 05s"},
            "18 Mar 2026, 16:26 CET",
        ),
        (
            "de-DE,de;q=0.9,en;q=0.5",
            "de",
            "ltr",
            "Besucher und Seitenaufrufe pro Tag",
            {"visitors": "31.441", "pageviews": "123.456", "bounce": "42,5 %", "duration": "3 Min. 05 Sek."},
            "18. März 2026, 16:26 CET",
        ),
        (
            "fr",
            "fr",
            "ltr",
            "Visiteurs et pages vues par jour",
            {
                "visitors": "31 441",
                "pageviews": "123 456",
                "bounce": "42,5 %",
                "duration": "3 min 05 s",
            },
            "18 mars 2026 à 16:26 CET",
        ),
        (
            "es-ES",
            "es",
            "ltr",
            "Visitantes y páginas vistas por día",
            {"visitors": "31.441", "pageviews": "123.456", "bounce": "42,5 %", "duration": "3 min 05 s"},
            "18 mar 2026, 16:26 CET",
        ),
        (
            "pt-BR,pt;q=0.9",
            "pt-br",
            "ltr",
            "Visitantes e visualizações de página por dia",
            {"visitors": "31.441", "pageviews": "123.456", "bounce": "42,5%", "duration": "3 min 05 s"},
            "18 de mar. de 2026, 16:26 CET",
        ),
        (
            "ja,en;q=0.5",
            "ja",
            "ltr",
            "日別の訪問者とページビュー",
            {"visitors": "31,441", "pageviews": "123,456", "bounce": "42.5%", "duration": "3分05秒"},
            "2026年3月18日 16:26 CET",
        ),
        (
            "zh-CN,zh;q=0.9",
            "zh-hans",
            "ltr",
            "每日访客和浏览量",
            {"visitors": "31,441", "pageviews": "123,456", "bounce": "42.5%", "duration": "3分05秒"},
            "2026年3月18日 16:26 CET",
        ),
        (
            "ar",
            "ar",
            "rtl",
            "الزوار ومشاهدات الصفحات يوميًا",
            {
                "visitors": "31,441",
                "pageviews": "123,456",
                "bounce": "42.5%",
                "duration": "3 د 05 ث",
            },
            "18 مارس 2026، 16:26 CET",
        ),
    ],
)
def test_the_page_speaks_the_browser_language_with_its_own_number_and_date_formats(
    client, site, accept, lang, direction, chart_heading, numbers, computed
):
    share_token = ShareTokenFactory(site=site)

    response = page(client, share_token, accept=accept)
    html = parse(response)

    assert html.html["lang"] == lang
    assert html.html["dir"] == direction
    assert response["Content-Language"] == lang
    assert "Accept-Language" in response["Vary"]
    assert text(html.select_one("#chart-heading")) == chart_heading
    assert headlines(html) == numbers
    assert text(html.select_one(".computed time")) == computed


def test_lang_in_the_query_beats_the_browser_and_every_link_of_the_page_keeps_it(client, site):
    share_token = ShareTokenFactory(site=site)

    html = parse(page(client, share_token, accept="de", lang="ja", theme="dark"))

    assert html.html["lang"] == "ja"
    assert text(html.select_one("#pages-heading")) == "人気のページ"
    period_links = [link["href"] for link in html.select("nav.periods a")]
    assert period_links[0] == "?period=24h&theme=dark&lang=ja"
    csv_links = [link["href"] for link in html.select("a.csv-link")]
    assert csv_links
    assert all(href.endswith("?period=7d&lang=ja") for href in csv_links)


def test_the_links_own_language_beats_the_browser_but_not_lang_in_the_query(client, site):
    share_token = ShareTokenFactory(site=site, language="fr")

    assert parse(page(client, share_token, accept="de")).html["lang"] == "fr"
    assert parse(page(client, share_token, accept="de", lang="es")).html["lang"] == "es"


def test_an_unknown_lang_falls_back_to_the_browser_language_and_is_not_carried_on(client, site):
    share_token = ShareTokenFactory(site=site)

    html = parse(page(client, share_token, accept="de", lang="xx-evil"))

    assert html.html["lang"] == "de"
    assert html.select_one("nav.periods a")["href"] == "?period=24h"


def test_tables_and_labels_are_translated_but_paths_and_browser_names_are_not(client, site):
    share_token = ShareTokenFactory(site=site)

    html = parse(page(client, share_token, accept="de"))

    assert [text(h2) for h2 in html.select(".breakdown h2")] == [
        "Top-Seiten",
        "Top-Quellen",
        "Geräte",
        "Browser",
        "Länder",
    ]
    assert [text(th) for th in html.select("[data-breakdown=pages] thead th")] == ["Seite", "Seitenaufrufe", "Besucher"]
    assert [text(row.select_one(".label-text")) for row in html.select("[data-breakdown] tbody tr")] == [
        "/",
        "Direkt / keine",
        "Desktop",
        "Firefox",
        "Deutschland",
    ]
    assert [text(td) for td in html.select("[data-breakdown=pages] tbody td")] == ["1.250", "980"]
    assert text(html.select_one(".date-range")) == "12.–18. März 2026"
    assert text(html.select_one(".period-label")) == "Letzte 7 Tage"
    assert text(html.select_one(".time-zone")) == "Zeiten in Europe/Amsterdam"


def test_the_csv_header_follows_the_language_and_the_cells_stay_machine_readable(client, site):
    share_token = ShareTokenFactory(site=site)

    response = client.get(f"/share/{share_token.raw_token}/export/daily.csv?period=7d&lang=de")

    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Datum,Seitenaufrufe,Eindeutige Besucher"
    assert lines[-1] == "2026-03-18,6000,3000"


def test_the_error_pages_follow_the_language_too(client, frozen_now):
    response = client.get("/share/glimpse_nonexistent/", headers={"accept-language": "ja"})

    assert response.status_code == 404
    assert text(parse(response).h1) == "この共有リンクは使えません"


@pytest.mark.parametrize("path", ["/api/public/stats?token=nope&period=7d", "/api/event", "/js/script.js"])
def test_the_api_and_the_scripts_stay_language_neutral(client, path, frozen_now):
    response = client.get(path, headers={"accept-language": "de"})

    assert "Content-Language" not in response
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "vs the previous 7 days"),
        ("de", "ggü. den vorherigen 7 Tagen"),
        ("fr", "par rapport aux 7 jours précédents"),
        ("es", "frente a los 7 días anteriores"),
        ("pt-br", "em relação aos 7 dias anteriores"),
        ("ja", "（その前の7日間との比較）"),  # noqa: RUF001 (Japanese parentheses)
        ("zh-hans", "对比之前的 7 天"),
        ("ar", "مقارنةً بالأيام الـ7 السابقة"),  # noqa: RUF001
    ],
)
def test_each_language_words_the_comparison_as_one_phrase_in_its_own_grammar(client, site, language, phrase):
    """After its word for "vs", German declines the period (dative), French and Portuguese contract the article
    (aux, aos): the whole phrase is one translation, never "vs" and a period pasted together."""
    token = ShareTokenFactory(site=site)

    html = parse(page(client, token, lang=language))

    assert phrase in text(html.select_one(".metric-change"))
