"""Every public API response is CORS-open and keeps its URL (which may hold a token) to itself; nothing else is."""

import json

import pytest
from django.test import Client

from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
CORS_HEADERS = {"access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"}
ORIGIN = {"HTTP_ORIGIN": "https://dashboard.example"}


def assert_public_headers(response):
    assert {name: response.get(name) for name in PUBLIC_HEADERS} == PUBLIC_HEADERS
    assert "origin" not in response.get("Vary", "").lower()  # the answer is the same for every origin


@pytest.mark.parametrize("headers", [{}, ORIGIN], ids=["without Origin", "with Origin"])
def test_every_kind_of_public_api_answer_carries_the_headers(client, headers):
    token = ShareTokenFactory(allowed_periods=["7d"]).raw_token
    responses = {
        200: client.get("/api/public/stats", {"token": token, "period": "7d"}, **headers),
        400: client.get("/api/public/stats", **headers),
        403: client.get("/api/public/stats", {"token": token, "period": "30d"}, **headers),
        404: client.get("/api/public/nothing-here", **headers),
        405: client.post("/api/public/stats", {}, **headers),
        "event 400": client.post("/api/event", "not json", content_type="application/json", **headers),
        "event 405": client.get("/api/event", **headers),
    }

    assert {name: response.status_code for name, response in responses.items()} == {
        200: 200,
        400: 400,
        403: 403,
        404: 404,
        405: 405,
        "event 400": 400,
        "event 405": 405,
    }
    for response in responses.values():
        assert_public_headers(response)


def test_a_500_from_the_public_api_carries_the_headers(monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("stats store unavailable")

    monkeypatch.setattr("sharing.stats_cache.site_stats", explode)
    token = ShareTokenFactory().raw_token

    response = Client(raise_request_exception=False).get("/api/public/stats", {"token": token})

    assert response.status_code == 500
    assert_public_headers(response)


@pytest.mark.parametrize(("path", "methods"), [("/api/public/stats", "GET, OPTIONS"), ("/api/event", "POST, OPTIONS")])
def test_a_preflight_is_answered_with_what_may_be_sent(client, path, methods):
    response = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD=methods.split(",")[0], **ORIGIN)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Access-Control-Allow-Methods"] == methods
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert response["Access-Control-Max-Age"] == "86400"
    assert_public_headers(response)


@pytest.mark.parametrize("path", ["/admin/login/", "/share/glimpse_nothing/", "/js/script.js", "/api", "/api/events"])
def test_nothing_outside_the_public_api_is_cors_open(client, path):
    response = client.get(path, **ORIGIN)

    assert not CORS_HEADERS & {name.lower() for name in response.headers}, response.status_code


def test_a_preflight_outside_the_public_api_gets_no_cors_answer(client):
    response = client.options("/admin/login/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", **ORIGIN)

    assert not CORS_HEADERS & {name.lower() for name in response.headers}


def test_the_public_api_body_is_unchanged_by_the_headers(client):
    response = client.get("/api/public/stats", **ORIGIN)

    assert json.loads(response.content) == {"error": "Share token required"}
