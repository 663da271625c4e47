import json

import pytest
from django.test import Client


@pytest.mark.django_db
def test_unknown_page_outside_the_api_is_a_friendly_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"There is nothing here" in response.content


@pytest.mark.django_db
def test_unexpected_share_page_failure_is_a_friendly_html_500(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("stats store unavailable")

    monkeypatch.setattr("sharing.share_requests.find_active_token", explode)
    client = Client(raise_request_exception=False)

    response = client.get("/share/glimpse_anything/")

    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"stats store unavailable" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/public/stats", "/api/event", "/api/no-such-endpoint"])
def test_a_host_outside_allowed_hosts_is_a_json_400_on_the_api(client, path):
    response = client.get(path, HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {"error": "Bad request"}


@pytest.mark.django_db
def test_a_host_outside_allowed_hosts_is_html_outside_the_api(client):
    response = client.get("/share/glimpse_anything/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
