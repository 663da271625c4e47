import datetime as dt
import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.services import record_pageview
from sharing.link_passwords import SharePasswordThrottle
from sharing.models import ShareToken
from sharing.services import revoke_share_token
from sharing.throttling import PublicStatsThrottle
from tests.analytics.traffic import utc
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=[True, False], ids=["fast-paths", "plain-orm"])
def fast_paths(request, settings):
    """Every API test runs twice: with the fast paths (compiled lookup, local copies) and with plain ORM reads."""
    settings.GLIMPSE_FAST_PATHS = request.param
    return request.param


URL = "/api/public/stats"
ORIGIN = {"HTTP_ORIGIN": "https://client.example"}


@pytest.fixture
def shared_site(frozen_now, visited_site):
    return visited_site


def get(client, **params):
    return client.get(URL, params, **ORIGIN)


def assert_error(response, status, message):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content) == {"error": message}


def test_seven_day_stats_match_the_documented_body(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site, allowed_periods=["30d", "24h", "7d"])

    response = get(client, token=share_token.raw_token, period="7d")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    zero = {"pageviews": 0, "uniqueVisitors": 0}
    assert json.loads(response.content) == {
        "site": {"domain": "example.com", "nickname": "My Website"},
        "period": "7d",
        "allowedPeriods": ["24h", "7d", "30d"],
        "uniqueVisitors": 4,
        "pageviews": 8,
        "bounceRate": 60.0,
        "avgSessionDuration": 360.0,
        "pages": [
            {"path": "/", "pageviews": 4, "uniqueVisitors": 3},
            {"path": "/pricing", "pageviews": 2, "uniqueVisitors": 2},
            {"path": "/about", "pageviews": 1, "uniqueVisitors": 1},
            {"path": "/blog", "pageviews": 1, "uniqueVisitors": 1},
        ],
        "referrers": [
            {"source": "direct", "visits": 2},
            {"source": "google.com", "visits": 2},
            {"source": "news.ycombinator.com", "visits": 1},
        ],
        "devices": [{"type": "desktop", "count": 2}, {"type": "mobile", "count": 1}, {"type": "tablet", "count": 1}],
        "browsers": [
            {"name": "Chrome", "count": 1},
            {"name": "Firefox", "count": 1},
            {"name": "Mobile Safari", "count": 1},
            {"name": "Safari", "count": 1},
        ],
        "countries": [
            {"code": "DE", "name": "Germany", "count": 1},
            {"code": "GB", "name": "United Kingdom", "count": 1},
            {"code": "US", "name": "United States", "count": 1},
        ],
        "daily": [
            {"date": "2026-03-12", **zero},
            {"date": "2026-03-13", **zero},
            {"date": "2026-03-14", "pageviews": 1, "uniqueVisitors": 1},
            {"date": "2026-03-15", **zero},
            {"date": "2026-03-16", **zero},
            {"date": "2026-03-17", "pageviews": 3, "uniqueVisitors": 1},
            {"date": "2026-03-18", "pageviews": 4, "uniqueVisitors": 2},
        ],
    }


@pytest.mark.parametrize("params", [{}, {"period": ""}])
def test_period_defaults_to_seven_days(client, shared_site, params):
    share_token = ShareTokenFactory(site=shared_site)

    body = json.loads(get(client, token=share_token.raw_token, **params).content)

    assert body["period"] == "7d"
    assert body["pageviews"] == 8
    assert body["allowedPeriods"] == ["24h", "7d", "30d", "90d", "365d"]


def test_24h_daily_has_the_two_dates_it_touches(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site)

    body = json.loads(get(client, token=share_token.raw_token, period="24h").content)

    assert (body["uniqueVisitors"], body["pageviews"]) == (2, 4)
    assert body["daily"] == [
        {"date": "2026-03-17", "pageviews": 0, "uniqueVisitors": 0},
        {"date": "2026-03-18", "pageviews": 4, "uniqueVisitors": 2},
    ]


def test_nickname_is_null_when_the_site_has_none(client, frozen_now):
    share_token = ShareTokenFactory(site=SiteFactory(domain="plain.example", nickname=""))

    body = json.loads(get(client, token=share_token.raw_token).content)

    assert body["site"] == {"domain": "plain.example", "nickname": None}
    assert body["uniqueVisitors"] == 0
    assert len(body["daily"]) == 7


@pytest.mark.parametrize("params", [{}, {"token": ""}, {"period": "7d"}, {"token": "", "period": "bogus"}])
def test_missing_token_is_400(client, db, params):
    assert_error(get(client, **params), 400, "Share token required")


@pytest.mark.parametrize("kind", ["unknown", "revoked", "expired", "malformed"])
def test_unusable_tokens_are_one_and_the_same_404(client, site, kind):
    raw_token = {
        "unknown": "glimpse_" + "A" * 43,
        "revoked": ShareTokenFactory(site=site, revoked=True).raw_token,
        "expired": ShareTokenFactory(site=site, expired=True).raw_token,
        "malformed": "x" * 5000 + "\u2603'\";--",
    }[kind]

    assert_error(get(client, token=raw_token, period="bogus"), 404, "Invalid or expired share link")


@pytest.mark.parametrize("period", ["90d", "365d", "24h", "bogus", "7D", "1d"])
def test_period_outside_the_token_restriction_is_403(client, site, period):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d", "30d"])

    assert_error(get(client, token=share_token.raw_token, period=period), 403, "Period not allowed for this share")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_json(client, share_token, method):
    response = getattr(client, method)(f"{URL}?token={share_token.raw_token}", **ORIGIN)

    assert_error(response, 405, "Method not allowed")


def test_cors_preflight_answers_with_the_documented_headers(client, db):
    response = client.options(
        URL,
        HTTP_ORIGIN="https://client.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code in (200, 204)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Content-Type"


def test_admin_sends_no_cors_headers(client, db):
    response = client.get("/admin/login/", **ORIGIN)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_unknown_api_path_is_json_404(client, db):
    assert_error(client.get("/api/public/nothing-here", **ORIGIN), 404, "Not found")


def test_unexpected_failure_is_a_logged_json_500(client, share_token, monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("sharing.stats_cache.site_stats", explode)

    with caplog.at_level(logging.ERROR, logger="glimpse.api"):
        response = get(client, token=share_token.raw_token)

    assert_error(response, 500, "Internal server error")
    assert b"database on fire" not in response.content
    assert any("database on fire" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


def test_too_many_requests_is_429_with_retry_after(client, share_token, monkeypatch):
    monkeypatch.setattr(PublicStatsThrottle, "THROTTLE_RATES", {"public_stats": "2/min"})

    statuses = [get(client, token=share_token.raw_token).status_code for _ in range(2)]
    response = get(client, token="glimpse_unknown")

    assert statuses == [200, 200]
    assert_error(response, 429, "Too many requests")
    assert 0 < int(response["Retry-After"]) <= 60


def data_queries(queries) -> list[str]:
    return [
        query["sql"] for query in queries if "analytics_pageview" in query["sql"] or "analytics_session" in query["sql"]
    ]


def test_tokens_of_one_site_share_one_cache_entry_and_a_hit_reads_no_collected_data(client, shared_site):
    first, second = ShareTokenFactory(site=shared_site), ShareTokenFactory(site=shared_site)
    warm = get(client, token=first.raw_token, period="30d")

    with CaptureQueriesContext(connection) as queries:
        hit = get(client, token=second.raw_token, period="30d")

    assert warm.status_code == hit.status_code == 200
    assert data_queries(queries.captured_queries) == []
    assert json.loads(hit.content)["pageviews"] == json.loads(warm.content)["pageviews"] == 9


def test_cache_is_per_period_and_per_site(client, shared_site):
    other_site = SiteFactory(domain="other.example")
    record_pageview(site=other_site, timestamp=utc("2026-03-18T09:00"), visitor_id=99, path="/other")
    ours, theirs = ShareTokenFactory(site=shared_site), ShareTokenFactory(site=other_site)

    seven = json.loads(get(client, token=ours.raw_token, period="7d").content)
    thirty = json.loads(get(client, token=ours.raw_token, period="30d").content)
    other = json.loads(get(client, token=theirs.raw_token, period="7d").content)

    assert (seven["pageviews"], thirty["pageviews"], other["pageviews"]) == (8, 9, 1)
    assert other["pages"] == [{"path": "/other", "pageviews": 1, "uniqueVisitors": 1}]
    assert other["site"]["domain"] == "other.example"


def test_extra_query_parameters_reuse_the_cached_stats(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site)
    get(client, token=share_token.raw_token)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?cachebust=1&token={share_token.raw_token}&site=other.example&x=2")

    assert response.status_code == 200
    assert data_queries(queries.captured_queries) == []


def test_revoked_token_is_404_even_when_stats_are_cached(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site)
    still_valid = ShareTokenFactory(site=shared_site)
    assert get(client, token=share_token.raw_token).status_code == 200

    revoke_share_token(share_token, now=timezone.now())

    assert_error(get(client, token=share_token.raw_token), 404, "Invalid or expired share link")
    assert get(client, token=still_valid.raw_token).status_code == 200


def test_token_expires_on_the_first_request_after_its_expiry(client, shared_site, frozen_now, monkeypatch):
    share_token = ShareTokenFactory(site=shared_site, expires_at=frozen_now + dt.timedelta(seconds=30))
    assert get(client, token=share_token.raw_token).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: frozen_now + dt.timedelta(seconds=30))

    assert_error(get(client, token=share_token.raw_token), 404, "Invalid or expired share link")


def test_api_keeps_answering_when_redis_is_unreachable(client, shared_site, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    share_token = ShareTokenFactory(site=shared_site)

    with caplog.at_level(logging.WARNING, logger="glimpse.cache"):
        responses = [get(client, token=share_token.raw_token) for _ in range(2)]

    assert [response.status_code for response in responses] == [200, 200]
    assert json.loads(responses[1].content)["pageviews"] == 8
    assert any(record.levelno == logging.WARNING for record in caplog.records if record.name == "glimpse.cache")


def test_raw_token_is_stored_nowhere_only_its_digest(client, site):
    import hashlib

    from django.apps import apps

    share_token = ShareTokenFactory(site=site)
    get(client, token=share_token.raw_token)

    stored = ShareToken.objects.get(pk=share_token.pk)
    assert stored.digest == hashlib.sha256(share_token.raw_token.encode()).hexdigest()
    assert share_token.raw_token.startswith(stored.display_prefix)
    secret_part = share_token.raw_token[len(stored.display_prefix) :]
    for model in apps.get_models():
        for row in model.objects.all().values():
            assert secret_part not in repr(row), f"raw token found in {model.__name__}"


# --- compare=previous, hidden sections, password-protected links ---------------------------------
# The previous 7 days (03-05..03-11 up to 15:30) hold nothing: visitor 5's bounce at 03-11 23:59 comes after the
# time of day of "now" (tests/analytics/test_comparisons.py).

DOCUMENTED_FIELDS = [
    "site", "period", "allowedPeriods", "uniqueVisitors", "pageviews", "bounceRate", "avgSessionDuration",
    "pages", "referrers", "devices", "browsers", "countries", "daily",
]  # fmt: skip
PASSWORD = "correct horse 42"


def test_compare_previous_adds_the_previous_headline_numbers_and_changes_nothing_else(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site)

    plain = get(client, token=share_token.raw_token, period="7d")
    compared = get(client, token=share_token.raw_token, period="7d", compare="previous")

    assert compared.status_code == 200
    assert compared["Cache-Control"] == "public, max-age=300"
    body = json.loads(compared.content)
    assert list(body) == [*DOCUMENTED_FIELDS, "previous", "change"]
    assert body["previous"] == {"uniqueVisitors": 0, "pageviews": 0, "bounceRate": 0.0, "avgSessionDuration": 0.0}
    assert body["change"] == {"uniqueVisitors": None, "pageviews": None, "bounceRate": None, "avgSessionDuration": None}
    assert {key: value for key, value in body.items() if key not in ("previous", "change")} == json.loads(plain.content)


@pytest.mark.parametrize("compare", [None, "", "Previous", "year", "previous "])
def test_without_compare_previous_the_body_is_exactly_the_documented_one(client, shared_site, compare):
    share_token = ShareTokenFactory(site=shared_site)
    params = {"token": share_token.raw_token, "period": "24h"} | ({"compare": compare} if compare is not None else {})

    body = json.loads(get(client, **params).content)

    assert list(body) == DOCUMENTED_FIELDS


def test_compare_previous_for_24_hours_is_the_24_hours_before(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site)

    body = json.loads(get(client, token=share_token.raw_token, period="24h", compare="previous").content)

    assert (body["uniqueVisitors"], body["pageviews"]) == (2, 4)
    assert (body["bounceRate"], body["avgSessionDuration"]) == (50.0, 600.0)
    assert body["previous"] == {"uniqueVisitors": 1, "pageviews": 3, "bounceRate": 50.0, "avgSessionDuration": 300.0}
    # 2 against 1 visitors, 4 against 3 pageviews (+33.3%), the same bounce rate, 600 s against 300 s.
    assert body["change"] == {"uniqueVisitors": 100, "pageviews": 33, "bounceRate": 0.0, "avgSessionDuration": 100}


def test_hidden_sections_come_back_as_empty_lists_and_the_shown_ones_unchanged(client, shared_site):
    open_link = ShareTokenFactory(site=shared_site)
    partial = ShareTokenFactory(site=shared_site, hidden_sections=["referrers", "countries", "daily"])

    full = json.loads(get(client, token=open_link.raw_token, period="7d").content)
    response = get(client, token=partial.raw_token, period="7d")
    body = json.loads(response.content)

    assert response.status_code == 200
    assert list(body) == DOCUMENTED_FIELDS
    assert (body["referrers"], body["countries"], body["daily"]) == ([], [], [])
    assert b"google.com" not in response.content and b"United States" not in response.content
    for field in ["uniqueVisitors", "pageviews", "bounceRate", "avgSessionDuration", "pages", "devices", "browsers"]:
        assert body[field] == full[field]
    # The site's shared cache entry still serves the open link in full.
    assert json.loads(get(client, token=open_link.raw_token, period="7d").content)["referrers"] == full["referrers"]


def test_a_password_protected_link_needs_the_password_header(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site, password=PASSWORD)

    missing = get(client, token=share_token.raw_token, period="7d")
    in_the_query = get(client, token=share_token.raw_token, period="7d", password=PASSWORD)
    wrong = client.get(URL, {"token": share_token.raw_token}, HTTP_X_SHARE_PASSWORD="wrong password", **ORIGIN)
    right = client.get(URL, {"token": share_token.raw_token}, HTTP_X_SHARE_PASSWORD=PASSWORD, **ORIGIN)

    assert_error(missing, 401, "Password required for this share")
    assert_error(in_the_query, 401, "Password required for this share")
    assert_error(wrong, 401, "Wrong password for this share")
    assert right.status_code == 200
    assert right["Cache-Control"] == "private, no-store"
    assert json.loads(right.content)["pageviews"] == 8


def test_the_password_is_checked_before_the_period_so_nothing_leaks_without_it(client, shared_site):
    share_token = ShareTokenFactory(site=shared_site, password=PASSWORD, allowed_periods=["30d"])

    refused = get(client, token=share_token.raw_token, period="365d")

    assert_error(refused, 401, "Password required for this share")
    assert b"30d" not in refused.content


def test_wrong_passwords_are_rate_limited_and_then_even_the_right_one_waits(client, shared_site, monkeypatch):
    monkeypatch.setattr(SharePasswordThrottle, "THROTTLE_RATES", {"share_password": "3/min"})
    share_token = ShareTokenFactory(site=shared_site, password=PASSWORD)

    def guess(password):
        return client.get(URL, {"token": share_token.raw_token}, HTTP_X_SHARE_PASSWORD=password, **ORIGIN)

    statuses = [guess(f"guess number {n}").status_code for n in range(3)]
    limited = guess(PASSWORD)

    assert statuses == [401, 401, 401]
    assert_error(limited, 429, "Too many requests")
    assert int(limited["Retry-After"]) > 0
