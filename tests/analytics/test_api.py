import datetime as dt
import json

import pytest
from django.utils import timezone

from analytics.models import Pageview, Session, VisitorSalt
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
BEACON_TYPE = "text/plain;charset=UTF-8"
VALID = {"domain": "example.com", "url": "https://example.com/pricing?plan=pro#faq", "referrer": "", "width": 1280}


@pytest.fixture
def site():
    return SiteFactory(domain="example.com")


def post_event(client, payload, *, content_type=BEACON_TYPE, user_agent=CHROME, **extra):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(
        "/api/event",
        data=body,
        content_type=content_type,
        headers={"User-Agent": user_agent, "Origin": "https://example.com"},
        **extra,
    )


def assert_rejected(response, status, message):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"error": message}
    assert not response.cookies
    assert not Pageview.objects.exists()


def test_a_beacon_is_accepted_with_an_empty_202_and_recorded(client, site):
    before = timezone.now()

    response = post_event(client, VALID, REMOTE_ADDR="81.2.69.142")

    assert response.status_code == 202
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    pageview = Pageview.objects.get()
    assert (pageview.site, pageview.path) == (site, "/pricing")
    assert before <= pageview.timestamp <= timezone.now()
    session = Session.objects.get()
    assert (session.source, session.device_type, session.browser, session.country) == (
        "direct",
        "desktop",
        "Chrome",
        "GB",
    )


def test_a_json_body_is_accepted_too(client, site):
    response = post_event(
        client, {"domain": "example.com", "url": "http://example.com/"}, content_type="application/json"
    )

    assert response.status_code == 202
    assert response.content == b""
    assert Pageview.objects.get().path == "/"


def test_a_csrf_checking_client_is_not_asked_for_a_token(site):
    from django.test import Client

    response = post_event(Client(enforce_csrf_checks=True), VALID)

    assert response.status_code == 202
    assert Pageview.objects.count() == 1


def test_two_pageviews_of_one_visitor_form_one_session(client, site):
    post_event(client, {**VALID, "url": "https://example.com/", "referrer": "https://www.google.com/search"})
    post_event(client, {**VALID, "url": "https://example.com/about", "referrer": "https://www.google.com/search"})

    session = Session.objects.get()
    assert (session.pageviews, session.entry_path, session.exit_path, session.source) == (
        2,
        "/",
        "/about",
        "google.com",
    )


def test_an_unknown_site_is_404_and_records_nothing(client, site):
    response = post_event(client, {**VALID, "domain": "not-registered.example"})

    assert_rejected(response, 404, "Unknown site: register this domain in Glimpse first")


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "",
    ],
)
def test_bots_get_202_and_are_not_recorded(client, site, user_agent):
    response = post_event(client, VALID, user_agent=user_agent)

    assert response.status_code == 202
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not Pageview.objects.exists()
    assert not Session.objects.exists()
    assert not VisitorSalt.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Body is empty: send a JSON object"),
        ("   ", "Body is empty: send a JSON object"),
        ("{not json", "Body is not valid JSON"),
        (b"\xff\xfe{}", "Body is not valid JSON"),
        ("[" * 2000 + "]" * 2000, "Body is not valid JSON"),
        ("NaN", "Body must be a JSON object"),
        ('["example.com"]', "Body must be a JSON object"),
        ('"example.com"', "Body must be a JSON object"),
        ("null", "Body must be a JSON object"),
        ({"url": "https://example.com/"}, "domain is required: the site's domain as a string"),
        ({"domain": "", "url": "https://example.com/"}, "domain is required: the site's domain as a string"),
        ({"domain": 42, "url": "https://example.com/"}, "domain is required: the site's domain as a string"),
        ({"domain": "x" * 254, "url": "https://example.com/"}, "domain is too long: at most 253 characters"),
        ({"domain": "example.com"}, "url is required: the page's absolute http(s) URL as a string"),
        (
            {"domain": "example.com", "url": ["https://example.com/"]},
            "url is required: the page's absolute http(s) URL as a string",
        ),
        ({"domain": "example.com", "url": "/pricing"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "example.com/pricing"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "javascript:alert(1)"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "ftp://example.com/"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "https:///nohost"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "http://[::1/"}, "url must be an absolute http or https URL"),
        ({"domain": "example.com", "url": "https://example.com/a\nb"}, "url must be an absolute http or https URL"),
        ({**VALID, "referrer": 5}, "referrer must be a string"),
        ({**VALID, "referrer": "google"}, "referrer must be an absolute URL or empty"),
        ({**VALID, "width": "1280"}, "width must be an integer from 1 to 100000"),
        ({**VALID, "width": 1280.5}, "width must be an integer from 1 to 100000"),
        ({**VALID, "width": True}, "width must be an integer from 1 to 100000"),
        ({**VALID, "width": 0}, "width must be an integer from 1 to 100000"),
        ({**VALID, "width": -1}, "width must be an integer from 1 to 100000"),
        ({**VALID, "width": 10**30}, "width must be an integer from 1 to 100000"),
        ({**VALID, "name": "pageview"}, "Unknown field: name"),
    ],
)
def test_malformed_bodies_are_400_naming_the_problem(client, site, body, message):
    assert_rejected(post_event(client, body), 400, message)


def test_null_referrer_and_width_count_as_not_sent(client, site):
    response = post_event(client, {**VALID, "referrer": None, "width": None})

    assert response.status_code == 202
    assert Session.objects.get().device_type == "desktop"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""])
def test_other_content_types_are_400(client, site, content_type):
    response = post_event(client, json.dumps(VALID), content_type=content_type)

    assert_rejected(response, 400, "Content-Type must be application/json or text/plain")


def test_a_body_over_4_kb_is_400(client, site):
    body = json.dumps({**VALID, "url": "https://example.com/" + "a" * 4096})

    assert_rejected(post_event(client, body), 400, "Body too large: at most 4096 bytes")


def test_a_short_content_length_cuts_the_body_there(client, site):
    response = post_event(client, VALID, CONTENT_LENGTH="10")

    assert_rejected(response, 400, "Body is not valid JSON")


def test_a_body_of_exactly_4_kb_is_accepted(client, site):
    padding = 4096 - len(json.dumps({**VALID, "url": "https://example.com/"}))
    body = json.dumps({**VALID, "url": "https://example.com/" + "a" * padding})
    assert len(body) == 4096

    assert post_event(client, body).status_code == 202


def test_a_declared_length_over_4_kb_or_not_a_number_is_refused_before_reading(client, site):
    huge = post_event(client, VALID, CONTENT_LENGTH="10000000")
    assert_rejected(huge, 400, "Body too large: at most 4096 bytes")

    garbage = post_event(client, VALID, CONTENT_LENGTH="lots")
    assert_rejected(garbage, 400, "Content-Length is not a number")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405_json(client, site, method):
    response = getattr(client, method)("/api/event")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json() == {"error": "Method not allowed"}


def test_a_cors_preflight_is_answered_without_touching_the_view(client):
    response = client.options(
        "/api/event",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 200
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Headers"] == "Content-Type"


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(client, site, settings):
    settings.NUM_PROXIES = 0
    post_event(client, VALID, REMOTE_ADDR="81.2.69.142", HTTP_X_FORWARDED_FOR="8.8.8.8")
    post_event(client, VALID, REMOTE_ADDR="81.2.69.142", HTTP_X_FORWARDED_FOR="1.1.1.1")

    session = Session.objects.get()
    assert (session.pageviews, session.country) == (2, "GB")


def test_behind_one_proxy_the_forwarded_address_identifies_the_visitor(client, site, settings):
    settings.NUM_PROXIES = 1
    post_event(client, VALID, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="81.2.69.142")
    post_event(client, VALID, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="8.8.8.8")

    assert sorted(Session.objects.values_list("country", flat=True)) == ["GB", "US"]


def test_the_country_header_is_ignored_unless_configured(client, site, settings):
    settings.TRUSTED_COUNTRY_HEADER = ""
    post_event(client, VALID, REMOTE_ADDR="81.2.69.142", HTTP_CF_IPCOUNTRY="FR")

    assert Session.objects.get().country == "GB"


def test_a_configured_country_header_is_trusted_and_xx_means_ask_the_ip_database(client, site, settings):
    settings.TRUSTED_COUNTRY_HEADER = "CF-IPCountry"
    post_event(client, VALID, REMOTE_ADDR="81.2.69.142", HTTP_CF_IPCOUNTRY="FR")
    post_event(client, VALID, REMOTE_ADDR="8.8.8.8", HTTP_CF_IPCOUNTRY="XX")
    post_event(client, VALID, REMOTE_ADDR="10.1.2.3", HTTP_CF_IPCOUNTRY="T1")

    assert sorted(Session.objects.values_list("country", flat=True)) == ["", "FR", "US"]


def test_the_pageview_lands_on_the_sites_local_date(client, settings):
    SiteFactory(domain="example.com", timezone="Pacific/Kiritimati")
    post_event(client, VALID)

    local_today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=14))).date()
    assert list(VisitorSalt.objects.values_list("day", flat=True)) == [local_today]


def test_a_plain_options_request_lists_the_allowed_methods(client):
    response = client.options("/api/event")

    assert response.status_code == 204
    assert response.content == b""
    assert response["Allow"] == "POST, OPTIONS"
