"""CSV downloads of the share page's tables and series, under the page's token rules and limits.

"Now" is 2026-03-18 15:30 UTC, the site on UTC, traffic from tests/analytics/traffic.py; the numbers are the
API's documented 7-day body (tests/sharing/test_public_api.py), counted by hand there.
"""

import datetime as dt
import email.message

import pytest

from analytics.services import record_pageview
from sharing.services import revoke_share_token
from sharing.throttling import PublicStatsThrottle
from sharing.usage import flush_token_usage
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
BOM = "\ufeff"


@pytest.fixture
def site(frozen_now, visited_site):
    return visited_site


@pytest.fixture
def token(site):
    return ShareTokenFactory(site=site)


def export(client, share_token, name, **params):
    return client.get(f"/share/{share_token.raw_token}/export/{name}.csv", params)


def lines(response) -> list[str]:
    return response.content.decode().removeprefix(BOM).split("\r\n")[:-1]


def test_the_pages_table_downloads_as_csv_with_the_page_headers(client, token):
    response = export(client, token, "pages", period="7d")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="example.com-pages-7d-2026-03-18.csv"'
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex"
    assert response.content.decode().startswith(BOM)
    assert lines(response) == ["Page,Pageviews,Unique visitors", "/,4,3", "/pricing,2,2", "/about,1,1", "/blog,1,1"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("referrers", ["Source,Visits", "direct,2", "google.com,2", "news.ycombinator.com,1"]),
        ("devices", ["Device,Unique visitors", "desktop,2", "mobile,1", "tablet,1"]),
        (
            "countries",
            ["Country code,Country,Unique visitors", "DE,Germany,1", "GB,United Kingdom,1", "US,United States,1"],
        ),
        (
            "daily",
            [
                "Date,Pageviews,Unique visitors", "2026-03-12,0,0", "2026-03-13,0,0", "2026-03-14,1,1",
                "2026-03-15,0,0", "2026-03-16,0,0", "2026-03-17,3,1", "2026-03-18,4,2",
            ],
        ),
    ],
)  # fmt: skip
def test_each_table_and_the_daily_series_download_with_the_page_s_numbers(client, token, name, expected):
    assert lines(export(client, token, name, period="7d")) == expected


def test_the_hourly_series_downloads_for_24_hours_only(client, token):
    hourly = export(client, token, "hourly", period="24h")
    weekly = export(client, token, "hourly", period="7d")

    rows = lines(hourly)
    assert hourly.status_code == 200
    assert rows[0] == "Hour starting,Pageviews,Unique visitors,Counted from,Counted until"
    # Clock hours: 15:00 on the 17th counted from the window's start, 23 whole hours, 15:00 today up to now.
    assert len(rows) == 26
    assert rows[1] == "2026-03-17T15:00+00:00,0,0,2026-03-17T15:30:00+00:00,2026-03-17T16:00:00+00:00"
    assert rows[2] == "2026-03-17T16:00+00:00,0,0,2026-03-17T16:00:00+00:00,2026-03-17T17:00:00+00:00"
    assert rows[20] == "2026-03-18T10:00+00:00,3,1,2026-03-18T10:00:00+00:00,2026-03-18T11:00:00+00:00"
    assert rows[25] == "2026-03-18T15:00+00:00,0,0,2026-03-18T15:00:00+00:00,2026-03-18T15:30:00+00:00"
    assert weekly.status_code == 404


def test_a_date_has_one_number_in_every_daily_csv_and_the_24_hours_say_theirs_apart(client, token):
    """03-17 has visitor 3's three pageviews at 09:00-10:00, before the 24 hours (from 03-17 15:30): the day
    periods give the whole date, 3 and 1; the 24 hours give what of it lies in them, 0, under their own header.
    03-18 lies wholly in every window: 4 pageviews, 2 visitors everywhere."""
    week, month = (
        lines(export(client, token, "daily", period="7d")),
        lines(export(client, token, "daily", period="30d")),
    )
    day = lines(export(client, token, "daily", period="24h"))

    assert week[-2:] == month[-2:] == ["2026-03-17,3,1", "2026-03-18,4,2"]
    assert week[0] == month[0] == "Date,Pageviews,Unique visitors"
    assert day == [
        "Date,Pageviews within the last 24 hours,Unique visitors within the last 24 hours",
        "2026-03-17,0,0",
        "2026-03-18,4,2",
    ]


def test_exports_follow_the_token_rules(client, site, token):
    restricted = ShareTokenFactory(site=site, allowed_periods=["30d"])
    revoked = ShareTokenFactory(site=site)
    revoke_share_token(revoked, now=NOW)

    assert export(client, restricted, "pages", period="7d").status_code == 403
    assert export(client, revoked, "pages", period="7d").status_code == 404
    assert client.get("/share/glimpse_nothing/export/pages.csv").status_code == 404
    assert export(client, token, "secrets", period="7d").status_code == 404
    assert export(client, restricted, "pages").status_code == 200  # the link's own default period


def test_a_hidden_section_is_never_exported(client, site):
    share_token = ShareTokenFactory(site=site, hidden_sections=["referrers", "daily"])

    for name in ["referrers", "daily", "hourly"]:
        response = export(client, share_token, name, period="24h")
        assert response.status_code == 404
        assert b"google.com" not in response.content
    assert export(client, share_token, "pages", period="7d").status_code == 200


def test_exports_share_the_page_and_api_rate_limit(client, token, monkeypatch):
    monkeypatch.setattr(PublicStatsThrottle, "THROTTLE_RATES", {"public_stats": "2/min"})

    statuses = [export(client, token, "pages", period="7d").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(client, site, token):
    record_pageview(site=site, timestamp=NOW - dt.timedelta(hours=1), visitor_id=9, path="/x", source="=HYPERLINK(1)")

    assert "'=HYPERLINK(1),1" in lines(export(client, token, "referrers", period="7d"))


def test_an_export_counts_as_a_use_like_a_page_view(client, token):
    export(client, token, "pages", period="7d")

    flush_token_usage(token_ids=[token.pk], now=NOW)
    token.refresh_from_db()
    assert token.use_count == 1


EVIL_DOMAIN = "evil.example\";filename*=utf-8''report.hta;x=\""


def test_a_domain_with_quotes_stored_outside_the_admin_cannot_rename_the_download(client, token, site):
    type(site).objects.filter(pk=site.pk).update(domain=EVIL_DOMAIN)

    response = export(client, token, "pages", period="7d")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="evil.example\\";filename*=utf-8\'\'report.hta;x=\\"-pages-7d-2026-03-18.csv"'
    )
    header = email.message.Message()
    header["Content-Disposition"] = response["Content-Disposition"]
    assert header.get_filename() == EVIL_DOMAIN + "-pages-7d-2026-03-18.csv"  # one parameter, still a .csv
