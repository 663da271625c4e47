"""No log line, access or application, at any status, holds a share token or a visitor's address."""

import datetime as dt
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from config.logging_filters import CollapseRepeats
from sharing.stats_cache import forget_local_copies
from tests.factories import ShareTokenFactory

VISITOR_IP = "203.0.113.77"


class FakeGunicornRequest:
    def __init__(self, environ: dict) -> None:
        self.headers = [
            (name[5:].replace("_", "-"), value) for name, value in environ.items() if name.startswith("HTTP_")
        ]


class FakeGunicornResponse:
    def __init__(self, response) -> None:
        self.status = f"{response.status_code} {response.reason_phrase}"
        self.sent = len(response.content)
        self.headers = list(response.items())


def access_log(gunicorn_logger, response) -> None:
    """Hand a finished request to gunicorn's access log as its worker would, with the environ it would build."""
    environ = dict(response.wsgi_request.environ)
    query = environ.get("QUERY_STRING")
    environ["RAW_URI"] = environ["PATH_INFO"] + (f"?{query}" if query else "")
    gunicorn_logger.access(
        FakeGunicornResponse(response),
        FakeGunicornRequest(environ),
        environ,
        dt.timedelta(milliseconds=12),
    )


@pytest.fixture
def explode_with_token(monkeypatch):
    """Make the stats fail with the token in the exception, as a careless error message would."""

    def arm(token: str) -> None:
        def explode(**kwargs):
            raise RuntimeError(f"stats failed for {token}")

        monkeypatch.setattr("sharing.stats_cache.site_stats", explode)
        cache.clear()
        forget_local_copies()

    return arm


@pytest.fixture
def every_repeat_logged(monkeypatch):
    """Repeated warnings are collapsed (tested elsewhere); here every line must reach the console to be checked."""
    (handler,) = [handler for handler in logging.getLogger().handlers if handler.name == "console"]
    for log_filter in handler.filters:
        if isinstance(log_filter, CollapseRepeats):
            monkeypatch.setattr(log_filter, "interval", 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("every_repeat_logged")
def test_no_log_line_holds_a_token_or_a_visitor_address(console, caplog, gunicorn_logger, explode_with_token):
    token = ShareTokenFactory(allowed_periods=["7d"]).raw_token
    client = Client(raise_request_exception=False, REMOTE_ADDR=VISITOR_IP, HTTP_X_FORWARDED_FOR=VISITOR_IP)
    caplog.set_level(logging.DEBUG)
    api = "/api/public/stats"
    share = f"/share/{token}/"
    requests = [
        (api, {"token": token, "period": "7d"}, 200),
        (api, {"token": token, "period": "30d"}, 403),
        (api, {"token": token + "x"}, 404),
        (share, {"period": "7d"}, 200),
        (share, {"period": "30d"}, 403),
        (f"/share/{token}x/", {}, 404),
        (share, {"period": "7d", "embed": "1"}, 200),
    ]
    statuses = []
    for path, params, _ in requests:
        response = client.get(path, params, HTTP_REFERER=f"https://blog.example/?token={token}")
        statuses.append(response.status_code)
        access_log(gunicorn_logger, response)
    explode_with_token(token)
    for path, params in [(api, {"token": token, "period": "7d"}), (share, {"period": "7d"})]:
        response = client.get(path, params)
        statuses.append(response.status_code)
        access_log(gunicorn_logger, response)

    assert statuses == [expected for _, _, expected in requests] + [500, 500]
    streams = {
        "console": console.getvalue(),
        "caplog": caplog.text,
        "gunicorn access": gunicorn_logger.captured["access"].getvalue(),
        "gunicorn error": gunicorn_logger.captured["error"].getvalue(),
    }
    # Each stream really captured these requests: the share page's 404 and the two 500s, with a traceback.
    assert "Not Found: /share/glimpse_" in streams["console"]
    assert "Traceback" in streams["console"]
    assert streams["console"].count("Internal Server Error: /share/") == 1
    assert f'"GET /share/{token[:14]}.../" 404' in streams["gunicorn access"]
    assert len(streams["gunicorn access"].splitlines()) == 9
    for name, text in streams.items():
        assert token not in text, name
        assert token[8:20] not in text, name  # no long stretch of it either
        assert VISITOR_IP not in text, name


def test_gunicorn_error_log_hides_the_client_address_and_the_token(gunicorn_logger):
    token = "glimpse_" + "A1b2C3d4E5" * 4 + "xyz"
    gunicorn_logger.warning(f"Invalid request from ip={VISITOR_IP}: Invalid HTTP request line: 'GET /share/{token}/'")
    gunicorn_logger.warning("Invalid request from ip=::1: Invalid HTTP method: 'G\\x01T'")

    lines = [line.split("] ", 3)[-1] for line in gunicorn_logger.captured["error"].getvalue().splitlines()]
    assert lines == [
        "Invalid request from ip=-: Invalid HTTP request line: 'GET /share/glimpse_A1b2C3.../'",
        "Invalid request from ip=-: Invalid HTTP method: 'G\\x01T'",
    ]
