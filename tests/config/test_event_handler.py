"""`POST /api/event` through `config.wsgi.application`, as gunicorn serves it: the lean handler answers exactly as the
whole middleware stack did, headers included, and every other path still goes through the whole stack."""

import json
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from analytics.models import Pageview
from config.event_handler import EventHandler, EventRequest
from config.wsgi import application, site_application
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
BEACON = json.dumps({"domain": "example.com", "url": "https://example.com/pricing", "referrer": "", "width": 1280})
BROWSER = {"User-Agent": CHROME, "Origin": "https://example.com"}
# Every header of the empty 202, set by the view, SecurityMiddleware, PublicApiHeaders, CommonMiddleware and
# XFrameOptionsMiddleware as the whole stack set them; nothing else (no cookie, no Vary).
ACCEPTED_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": "0",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After",
    "X-Robots-Tag": "noindex",
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@pytest.fixture(autouse=True)
def connections_kept_for_the_test_transaction():
    """As Django's test client does: the handler's start/finish signals would close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def site():
    return SiteFactory(domain="example.com")


def call(app, method: str, path: str = "/api/event", body: str = "", **headers: str) -> Answer:
    """What a WSGI server would send: status, headers in order, and the body."""
    content_type = headers.pop("content_type", "text/plain;charset=UTF-8")
    request = RequestFactory().generic(method, path, body, content_type=content_type, headers=headers)
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=response_headers)

    response = app(request.environ, start_response)
    try:
        body_bytes = b"".join(response)
    finally:
        response.close()
    return Answer(status=started["status"], headers=started["headers"], body=body_bytes)


def test_a_beacon_is_accepted_through_the_production_application_with_every_header(site):
    answer = call(application, "POST", body=BEACON, **BROWSER)

    assert (answer.status, answer.body) == (202, b"")
    assert dict(answer.headers) == ACCEPTED_HEADERS
    assert Pageview.objects.get().path == "/pricing"


REQUESTS = {
    "accepted": ("POST", "/api/event", BEACON, {}),
    "malformed": ("POST", "/api/event", "not json", {}),
    "unknown site": ("POST", "/api/event", BEACON.replace("example.com", "unknown.example"), {}),
    "wrong method": ("GET", "/api/event", "", {}),
    "head": ("HEAD", "/api/event", "", {}),
    "preflight": ("OPTIONS", "/api/event", "", {"Access-Control-Request-Method": "POST"}),
    "options": ("OPTIONS", "/api/event", "", {}),
    "json body": ("POST", "/api/event", BEACON, {"content_type": "application/json"}),
    "too large": ("POST", "/api/event", BEACON + " " * 4096, {}),
}


@pytest.mark.parametrize("kind", REQUESTS)
def test_the_lean_handler_answers_as_the_whole_stack_did(site, kind):
    method, path, body, headers = REQUESTS[kind]

    lean = call(application, method, path, body, **BROWSER, **headers)
    whole = call(site_application, method, path, body, **BROWSER, **headers)

    assert (lean.status, lean.headers, lean.body) == (whole.status, whole.headers, whole.body)


def test_the_lean_answers_are_the_endpoint_s_documented_ones(site):
    statuses = {kind: call(application, m, p, b, **BROWSER, **h).status for kind, (m, p, b, h) in REQUESTS.items()}

    assert statuses == {
        "accepted": 202,
        "malformed": 400,
        "unknown site": 404,
        "wrong method": 405,
        "head": 405,
        "preflight": 200,
        "options": 204,
        "json body": 202,
        "too large": 400,
    }
    assert call(application, "HEAD", **BROWSER).body == b""
    assert call(application, "POST", body="not json", **BROWSER).json() == {"error": "Body is not valid JSON"}


def test_the_lean_handler_still_limits_each_client(site, settings, frozen_now):
    settings.EVENT_RATE = "2/min"

    answers = [call(application, "POST", body=BEACON, **BROWSER) for _ in range(3)]

    assert [answer.status for answer in answers] == [202, 202, 429]
    refused = answers[2]
    assert refused.json() == {"error": "Too many requests"}
    assert 1 <= int(dict(refused.headers)["Retry-After"]) <= 60
    assert dict(refused.headers)["Access-Control-Allow-Origin"] == "*"
    assert Pageview.objects.count() == 2


def test_the_lean_handler_still_refuses_a_host_that_is_not_allowed(site):
    answer = call(application, "POST", body=BEACON, **BROWSER, Host="evil.example")

    assert answer.status == 400
    assert not Pageview.objects.exists()


def test_a_server_error_on_the_lean_path_is_the_json_500_of_the_whole_stack(site, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("analytics.api.ingest_pageview", explode)

    lean = call(application, "POST", body=BEACON, **BROWSER)
    whole = call(site_application, "POST", body=BEACON, **BROWSER)

    assert lean.status == 500
    assert (lean.status, lean.headers, lean.body) == (whole.status, whole.headers, whole.body)
    assert dict(lean.headers)["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/api/event/", "/api/events", "/api/eventx"])
def test_only_the_event_path_itself_takes_the_lean_handler(site, path):
    lean = call(application, "POST", path, BEACON, **BROWSER)
    whole = call(site_application, "POST", path, BEACON, **BROWSER)

    assert lean.status == 404
    assert (lean.status, lean.headers, lean.body) == (whole.status, whole.headers, whole.body)
    assert not Pageview.objects.exists()


def test_every_other_page_keeps_the_whole_middleware_stack(db):
    answer = call(application, "GET", "/admin/login/")

    assert answer.status == 200
    assert any(name == "Set-Cookie" and value.startswith(" csrftoken=") for name, value in answer.headers)


def test_the_event_middleware_is_the_whole_stack_less_what_pages_for_people_need():
    assert django_settings.EVENT_MIDDLEWARE == [
        "config.request_metrics.RequestMetrics",
        "config.head_requests.HeadWithoutBody",
        "django.middleware.security.SecurityMiddleware",
        "config.public_api_headers.PublicApiHeaders",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]


def test_the_event_handler_takes_its_middleware_from_the_setting(site, settings):
    settings.EVENT_MIDDLEWARE = ["config.public_api_headers.PublicApiHeaders"]

    answer = call(EventHandler(), "POST", body=BEACON, **BROWSER)

    assert answer.status == 202
    assert dict(answer.headers) == {
        "Cache-Control": "no-store",
        "Content-Type": "text/html; charset=utf-8",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "Retry-After",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }
    assert Pageview.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "media_type"),
    [
        ("text/plain;charset=UTF-8", "text/plain"),
        ("Application/JSON; charset=latin-1", "application/json"),
        ("  text/plain  ", "text/plain"),
        ("", ""),
    ],
)
def test_the_event_request_reads_the_media_type_alone(header, media_type):
    request = EventRequest(RequestFactory().post("/api/event", BEACON, content_type=header).environ)

    assert (request.content_type, request.content_params) == (media_type, {})


def test_a_beacon_naming_another_charset_is_read_as_utf_8_and_accepted(site):
    body = json.dumps({"domain": "example.com", "url": "https://example.com/caf\u00e9"}, ensure_ascii=False)

    answer = call(application, "POST", body=body, content_type="text/plain; charset=ISO-8859-1", **BROWSER)

    assert (answer.status, answer.body) == (202, b"")
    assert Pageview.objects.get().path == "/caf\u00e9"
