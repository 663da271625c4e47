"""The access log leaves out accepted beacons, the bulk of the traffic, and keeps every other request."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from config.gunicorn_logging import EVENT_PATH, accepted_events_logged
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


def test_an_accepted_beacon_leaves_no_line_and_every_other_request_one(beacons, gunicorn_logger):
    accepted = beacons(json.dumps({"domain": "example.com", "url": "https://example.com/pricing"}))
    refused = beacons("{not json")
    page = Client().get("/api/public/stats")
    for response in (accepted, refused, page):
        access_log(gunicorn_logger, response)

    assert [accepted.status_code, refused.status_code] == [202, 400]
    lines = logged_lines(gunicorn_logger)
    assert len(lines) == 2
    assert '"POST /api/event" 400' in lines[0]
    assert '"GET /api/public/stats" 4' in lines[1]

    gunicorn_logger.skip_accepted_events = False  # as ACCESS_LOG_EVENTS=true sets it
    access_log(gunicorn_logger, accepted)

    assert '"POST /api/event" 202' in logged_lines(gunicorn_logger)[2]


@pytest.mark.parametrize(
    ("value", "logged"), [(None, False), ("", False), ("false", False), ("1", True), ("true", True), (" On ", True)]
)
def test_access_log_events_turns_the_lines_of_accepted_beacons_on(monkeypatch, value, logged):
    if value is None:
        monkeypatch.delenv("ACCESS_LOG_EVENTS", raising=False)
    else:
        monkeypatch.setenv("ACCESS_LOG_EVENTS", value)

    assert accepted_events_logged() is logged


def test_the_logger_knows_the_event_path_django_serves():
    assert reverse("event") == EVENT_PATH
