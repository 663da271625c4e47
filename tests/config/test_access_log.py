"""The access log leaves out accepted beacons, the bulk of the traffic, and keeps every other request."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from config.gunicorn_logging import EVENT_PATH
from tests.config.test_no_token_in_logs import access_log
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def beacons(settings):
    settings.EVENT_RATE = ""
    SiteFactory(domain="example.com")
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.9")

    def send(body: str):
        return client.post(EVENT_PATH, body, content_type="text/plain")

    return send


def logged_lines(gunicorn_logger) -> list[str]:
    return gunicorn_logger.captured["access"].getvalue().splitlines()


def accepted_refused_and_a_page(beacons, gunicorn_logger) -> list[int]:
    accepted = beacons(json.dumps({"domain": "example.com", "url": "https://example.com/pricing"}))
    refused = beacons("{not json")
    page = Client().get("/api/public/stats")
    for response in (accepted, refused, page):
        access_log(gunicorn_logger, response)
    return [accepted.status_code, refused.status_code]


def test_an_accepted_beacon_leaves_no_line_and_every_other_request_one(beacons, gunicorn_logger):
    statuses = accepted_refused_and_a_page(beacons, gunicorn_logger)

    assert statuses == [202, 400]
    lines = logged_lines(gunicorn_logger)
    assert len(lines) == 2
    assert '"POST /api/event" 400' in lines[0]
    assert '"GET /api/public/stats" 4' in lines[1]


@pytest.fixture
def beacons_logged(monkeypatch):
    monkeypatch.setenv("ACCESS_LOG_EVENTS", "1")


@pytest.mark.usefixtures("beacons_logged")
def test_access_log_events_logs_accepted_beacons_too(beacons, gunicorn_logger):
    accepted_refused_and_a_page(beacons, gunicorn_logger)

    lines = logged_lines(gunicorn_logger)
    assert len(lines) == 3
    assert '"POST /api/event" 202' in lines[0]


def test_the_logger_knows_the_event_path_django_serves():
    assert reverse("event") == EVENT_PATH
