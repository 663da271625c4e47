"""A HEAD answer has the headers a GET would get and no body, so the server has nothing to drop (or warn about)."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db


def serve(method: str, path: str, **params) -> tuple[str, dict[str, str], bytes]:
    """Through the whole WSGI application, as gunicorn calls it (the test client drops HEAD bodies itself)."""
    environ = getattr(RequestFactory(), method.lower())(path, params).environ
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    result = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started["status"], started["headers"], body


@pytest.mark.parametrize("page", ["api", "share page", "api error", "static file"])
def test_head_is_get_without_the_body(page):
    token = ShareTokenFactory().raw_token
    path, params = {
        "api": ("/api/public/stats", {"token": token}),
        "share page": (f"/share/{token}/", {}),
        "api error": ("/api/public/stats", {}),
        "static file": ("/static/glimpse/share.css", {}),
    }[page]

    get_status, get_headers, get_body = serve("GET", path, **params)
    head_status, head_headers, head_body = serve("HEAD", path, **params)

    assert get_body != b""
    assert head_body == b""
    assert head_status == get_status
    assert head_headers["Content-Type"] == get_headers["Content-Type"]
    assert head_headers.get("Content-Length") == get_headers.get("Content-Length") == str(len(get_body))
