"""Password-protected share links on the page: asked once per browser session, never in a URL, rate-limited.

"Now" is 2026-03-18 15:30 UTC, traffic from tests/analytics/traffic.py (7d: 4 visitors, 8 pageviews).
"""

import datetime as dt
import json
import logging

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from sharing import link_passwords
from sharing.link_passwords import UNLOCK_COOKIE, SharePasswordThrottle
from sharing.services import update_share_token
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
PASSWORD = "correct horse 42"


@pytest.fixture
def site(frozen_now, visited_site):
    return visited_site


@pytest.fixture
def locked(site):
    return ShareTokenFactory(site=site, password=PASSWORD, frame_origins=["https://intranet.example"])


def url(share_token, query: str = "?period=7d") -> str:
    return f"/share/{share_token.raw_token}/{query}"


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_a_locked_link_asks_for_the_password_and_shows_nothing_else(client, locked):
    response = client.get(url(locked))

    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"].endswith("frame-ancestors https://intranet.example")
    html = parse(response)
    form = html.select_one("form.password-form")
    assert form["method"] == "post" and not form.get("action")
    assert html.select_one('input[name="password"]')["type"] == "password"
    body = response.content.decode()
    for leak in ["google.com", "/pricing", "data-metric", "allowedPeriods", "30 days"]:
        assert leak not in body
    assert "My Website" in body


def test_a_wrong_password_is_refused_and_unlocks_nothing(client, locked):
    response = client.post(url(locked), {"password": "wrong password"})

    assert response.status_code == 401
    assert "not right" in parse(response).select_one(".form-error").get_text()
    assert UNLOCK_COOKIE not in response.cookies
    assert client.get(url(locked)).status_code == 401


def test_the_right_password_unlocks_the_link_for_this_browser_session(client, locked):
    response = client.post(url(locked, "?period=30d&embed=1"), {"password": PASSWORD})

    assert response.status_code == 303
    assert response["Location"] == url(locked, "?period=30d&embed=1")
    cookie = response.cookies[UNLOCK_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/share/" and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # a session cookie: gone with the browser session
    assert PASSWORD not in cookie.value and locked.raw_token not in cookie.value
    unlocked = client.get(url(locked))
    assert unlocked.status_code == 200
    assert parse(unlocked).select_one('[data-metric="pageviews"] .metric-value').get_text() == "8"
    assert client.get(f"/share/{locked.raw_token}/export/pages.csv?period=7d").status_code == 200


def test_one_link_s_password_does_not_open_another_link(client, site, locked):
    other = ShareTokenFactory(site=site, password="another password")
    client.post(url(locked), {"password": PASSWORD})

    assert client.get(url(other)).status_code == 401
    assert Client().get(url(locked)).status_code == 401  # another browser


def test_a_forged_or_foreign_cookie_unlocks_nothing(client, locked):
    client.cookies[UNLOCK_COOKIE] = json.dumps({str(locked.pk): "anything"})

    assert client.get(url(locked)).status_code == 401


def test_changing_or_removing_the_password_asks_readers_again_or_lets_them_in(client, locked):
    client.post(url(locked), {"password": PASSWORD})
    same = {"now": NOW, "label": locked.label, "allowed_periods": [], "expires_at": None}

    update_share_token(locked, **same, new_password="a brand new password")
    asked_again = client.get(url(locked)).status_code
    update_share_token(locked, **same, remove_password=True)

    assert asked_again == 401
    assert client.get(url(locked)).status_code == 200
    assert Client().get(url(locked)).status_code == 200


def test_password_guesses_are_rate_limited_and_then_even_the_right_one_waits(client, locked, monkeypatch):
    monkeypatch.setattr(SharePasswordThrottle, "THROTTLE_RATES", {"share_password": "3/min"})

    statuses = [client.post(url(locked), {"password": f"guess {n} wrong"}).status_code for n in range(3)]
    limited = client.post(url(locked), {"password": PASSWORD})

    assert statuses == [401, 401, 401]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert UNLOCK_COOKIE not in limited.cookies


def test_one_network_costs_at_most_the_limits_worth_of_password_hashing(locked, monkeypatch):
    """Each check hashes the guess (most of a second with the production hasher): over the limit none is hashed,
    and the addresses of one IPv6 /64 share one limit."""
    monkeypatch.setattr(SharePasswordThrottle, "THROTTLE_RATES", {"share_password": "3/min"})
    hashed = []
    monkeypatch.setattr(link_passwords, "check_password", lambda raw, encoded: hashed.append(raw) or False)

    statuses = [
        Client(REMOTE_ADDR=f"2001:db8:0:7::{n + 1:x}").post(url(locked), {"password": f"guess {n}"}).status_code
        for n in range(10)
    ]

    assert statuses == [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]
    assert hashed == ["guess 0", "guess 1", "guess 2"]


def test_a_post_to_a_link_without_a_password_is_still_405(client, site):
    share_token = ShareTokenFactory(site=site)

    assert client.post(url(share_token), {"password": PASSWORD}).status_code == 405
    assert client.post("/share/glimpse_nothing/", {"password": PASSWORD}).status_code == 405


def test_no_password_reaches_a_log_line(client, locked, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(url(locked), {"password": "hunter22 wrong"})
        client.post(url(locked), {"password": PASSWORD})
        client.get(url(locked, "?password=hunter22+wrong"))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "hunter22" not in logged and PASSWORD not in logged
