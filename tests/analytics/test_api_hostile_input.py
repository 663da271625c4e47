"""`POST /api/event` against hostile input: never a 500, bounded reads, a rate limit, one path per page.

Every test here runs on PostgreSQL too (DATABASE_URL), which is where NUL and lone
surrogates used to fail: it refuses both in text, while SQLite takes a NUL.
"""

import io
import json

import pytest
from django.test import Client

from analytics.models import Pageview, Session
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


@pytest.fixture
def site():
    return SiteFactory(domain="example.com")


@pytest.fixture
def client():
    """Errors come back as responses, as they would in production, so a 500 is seen as a 500."""
    return Client(raise_request_exception=False)


def post_raw(client, body: str, *, user_agent=CHROME, **extra):
    return client.post(
        "/api/event",
        data=body,
        content_type="text/plain",
        headers={"User-Agent": user_agent, "Origin": "https://example.com"},
        **extra,
    )


def post_event(client, payload, **extra):
    return post_raw(client, json.dumps(payload), **extra)


def assert_error(response, status, message):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"error": message}


# The bodies that gave a 500 before (written as JSON text: `\ud800` escapes decode to lone surrogates).
UNSTORABLE = "contains a control character or an unpaired surrogate"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (r'{"domain": "example.com\u0000", "url": "https://example.com/"}', "domain"),
        (r'{"domain": "example.com\ud800", "url": "https://example.com/"}', "domain"),
        (r'{"domain": "example.com", "url": "https://example.com/\ud800"}', "url"),
        (r'{"domain": "example.com", "url": "https://example.com/?utm_source=\ud800"}', "url"),
        (
            r'{"domain": "example.com", "url": "https://example.com/", "referrer": "https://\ud800.example/"}',
            "referrer",
        ),
        (
            r'{"domain": "example.com", "url": "https://example.com/", "referrer": "https://a.example/\u0080"}',
            "referrer",
        ),
    ],
)
def test_nul_and_lone_surrogates_are_400_naming_the_field(client, site, body, field):
    response = post_raw(client, body)

    assert_error(response, 400, f"{field} {UNSTORABLE}")
    assert not Pageview.objects.exists()


def test_a_percent_encoded_nul_in_utm_source_is_removed_from_the_source(client, site):
    response = post_event(client, {"domain": "example.com", "url": "https://example.com/?utm_source=%00news%00letter"})

    assert response.status_code == 202
    assert Session.objects.get().source == "newsletter"


def test_a_utm_source_of_only_control_characters_falls_back_to_the_referrer(client, site):
    response = post_event(
        client,
        {"domain": "example.com", "url": "https://example.com/?utm_source=%00%0A", "referrer": "https://x.example/"},
    )

    assert response.status_code == 202
    assert Session.objects.get().source == "x.example"


def test_percent_encoded_and_raw_spellings_of_a_page_are_one_path(client, site):
    for url in ["https://example.com/%41bout", "https://example.com/About", "https://example.com/%c3%a9t%C3%A9"]:
        assert post_event(client, {"domain": "example.com", "url": url}).status_code == 202

    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/About", "/About", "/été"]


def test_a_decoded_nul_or_invalid_utf8_in_the_path_is_stored_escaped(client, site):
    for url in ["https://example.com/a%00b", "https://example.com/%FF", "https://example.com/%ED%A0%80"]:
        assert post_event(client, {"domain": "example.com", "url": url}).status_code == 202

    assert sorted(Pageview.objects.values_list("path", flat=True)) == ["/%ED%A0%80", "/%FF", "/a%00b"]


@pytest.mark.parametrize("length", [513, 8192])
def test_an_over_long_user_agent_is_accepted_as_a_bot_and_not_recorded(client, site, length):
    response = post_event(
        client, {"domain": "example.com", "url": "https://example.com/"}, user_agent=CHROME + " " + "a" * length
    )

    assert response.status_code == 202
    assert not Pageview.objects.exists()


def test_a_browser_user_agent_of_512_characters_is_recorded(client, site):
    user_agent = CHROME + " " + "a" * (512 - len(CHROME) - 1)

    response = post_event(client, {"domain": "example.com", "url": "https://example.com/"}, user_agent=user_agent)

    assert response.status_code == 202
    assert Session.objects.get().browser == "Chrome"


# --- Rate limit ------------------------------------------------------------------------------------------------------

VALID = {"domain": "example.com", "url": "https://example.com/"}


def test_over_the_rate_a_client_gets_429_json_with_retry_after_and_others_do_not(client, site, settings, frozen_now):
    settings.EVENT_RATE = "2/min"

    mine = [post_event(client, VALID, REMOTE_ADDR="203.0.113.7") for _ in range(3)]
    theirs = post_event(client, VALID, REMOTE_ADDR="198.51.100.2")

    assert [response.status_code for response in mine] == [202, 202, 429]
    assert_error(mine[2], 429, "Too many requests")
    assert 1 <= int(mine[2]["Retry-After"]) <= 60
    assert theirs.status_code == 202
    assert Pageview.objects.count() == 3


def test_the_limit_comes_before_the_body_is_read(client, site, settings, frozen_now):
    settings.EVENT_RATE = "1/min"
    post_event(client, VALID)

    response = post_raw(client, "{not json")

    assert_error(response, 429, "Too many requests")


def test_forged_forwarded_addresses_do_not_dodge_the_limit(client, site, settings, frozen_now):
    settings.EVENT_RATE = "2/min"
    settings.NUM_PROXIES = 1
    forged = ["not-an-ip", "x" * 8192, "fe80::1%eth0"]

    statuses = [
        post_event(client, VALID, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=value).status_code for value in forged
    ]

    assert statuses == [202, 202, 429]


def test_an_empty_rate_switches_the_limit_off(client, site, settings):
    settings.EVENT_RATE = ""

    assert [post_event(client, VALID).status_code for _ in range(5)] == [202] * 5


def test_the_limit_stays_on_counted_in_the_process_when_the_cache_cannot_count(client, site, settings):
    settings.EVENT_RATE = "1/min"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }

    assert [post_event(client, VALID).status_code for _ in range(3)] == [202, 429, 429]


# --- Chunked bodies --------------------------------------------------------------------------------------------------


class EndlessStream:
    """A client that never stops sending: counts what the view reads from it."""

    def __init__(self, prefix: bytes):
        self.prefix = prefix
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "the view must never read to the end"
        start = self.read_bytes
        data = (self.prefix + b" " * (start + size))[start : start + size]
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def post_chunked(client, stream, *, terminated=True):
    """As gunicorn hands a chunked request over: no Content-Length, the decoded body on wsgi.input."""
    extra = {"CONTENT_TYPE": "text/plain", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": stream}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.generic(
        "POST", "/api/event", headers={"User-Agent": CHROME, "Origin": "https://example.com"}, **extra
    )


def test_a_chunked_body_is_accepted(client, site):
    response = post_chunked(client, io.BytesIO(json.dumps({**VALID, "url": "https://example.com/chunked"}).encode()))

    assert response.status_code == 202
    assert Pageview.objects.get().path == "/chunked"


def test_a_chunked_body_of_exactly_4_kb_is_accepted_and_one_byte_more_is_refused(client, site):
    padding = 4096 - len(json.dumps({**VALID, "url": "https://example.com/"}))
    exact = json.dumps({**VALID, "url": "https://example.com/" + "a" * padding}).encode()
    assert len(exact) == 4096

    assert post_chunked(client, io.BytesIO(exact)).status_code == 202
    assert_error(post_chunked(client, io.BytesIO(exact + b" ")), 400, "Body too large: at most 4096 bytes")


def test_an_endless_chunked_body_is_read_only_one_byte_past_the_cap(client, site):
    stream = EndlessStream(b'{"domain": "example.com", "url": "https://example.com/"}')

    response = post_chunked(client, stream)

    assert_error(response, 400, "Body too large: at most 4096 bytes")
    assert stream.read_bytes == 4097


def test_a_chunked_body_is_not_read_when_the_server_does_not_promise_it_ends(client, site):
    stream = EndlessStream(b"{}")

    response = post_chunked(client, stream, terminated=False)

    assert_error(response, 400, "Body is empty: send a JSON object")
    assert stream.read_bytes == 0


def test_a_user_agent_with_a_lone_surrogate_is_recorded_as_another_browser(site, client):
    response = post_event(
        client,
        {"domain": "example.com", "url": "https://example.com/"},
        user_agent="Mozilla/5.0 \ud800 Firefox/125.0",
    )

    assert (response.status_code, response.content) == (202, b"")
    assert Session.objects.get().browser == "Other"
