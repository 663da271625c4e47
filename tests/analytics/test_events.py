"""Fuzzing the event parser and `POST /api/event`: whatever arrives, a 202, 400, 404 or 429, never a 500.

Bodies are JSON-ish (objects with the right fields holding URLs built from escapes,
controls and lone surrogates; any JSON; bytes that are not UTF-8) and every header the
endpoint reads takes arbitrary text. Run with DATABASE_URL pointing at PostgreSQL too:
that is where a NUL or a lone surrogate that reaches the database fails.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analytics.events import SPACE_OR_CONTROL, InvalidEvent, PageviewEvent, is_absolute_url, parse_event
from analytics.text import is_storable
from tests.factories import SiteFactory
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
ANY_CHARACTER = st.characters(exclude_categories=[])  # surrogates and controls included
TEXT = st.text(ANY_CHARACTER, max_size=20)
HOSTS = st.sampled_from(
    ["example.com", "www.example.com", "blog.example.com", "evil.example", "EXAMPLE.COM.", "[::1]", "127.0.0.1:80"]
) | st.text(ANY_CHARACTER, min_size=1, max_size=10)
PIECES = st.sampled_from(
    ["/", "%", "%00", "%41", "%ff", "%C3%A9", "%ED%A0%80", "%25", "?", "#", "&", "+", "\x00", "\x7f", "\ud800", "é"]
)
# Mostly what a browser could send, with an escape or a raw control character or surrogate here and there.
PATHS = st.lists(st.sampled_from(["a", "B", "/", "-", "😀"]) | PIECES | ANY_CHARACTER, max_size=20).map("".join)
PAGE_URLS = st.builds(
    lambda scheme, host, path, source: f"{scheme}://{host}/{path}?utm_source={source}",
    st.sampled_from(["https", "http", "HTTPS"]),
    st.sampled_from(["example.com", "www.example.com", "blog.example.com", "evil.example"]) | HOSTS,
    PATHS,
    PATHS,
)
URLS = PAGE_URLS | st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}", st.sampled_from(["ftp", "android-app"]), HOSTS, PATHS
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT | URLS
JSON_VALUES = st.recursive(
    SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3), max_leaves=6
)
DOMAINS = st.sampled_from(["example.com", "www.Example.com", "EXAMPLE.COM.", "unknown.example"])
PLAUSIBLE_EVENTS = st.fixed_dictionaries(
    {"domain": DOMAINS, "url": PAGE_URLS},
    optional={"referrer": PAGE_URLS | st.sampled_from(["", None]), "width": st.integers(-5, 200_000) | st.none()},
)
ANY_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "domain": DOMAINS | TEXT | JSON_VALUES,
        "url": URLS | JSON_VALUES,
        "referrer": URLS | st.sampled_from(["", None]) | JSON_VALUES,
        "width": st.integers(-5, 200_000) | st.none() | JSON_VALUES,
        "name": TEXT,
    },
)
BODIES = st.one_of(
    PLAUSIBLE_EVENTS.map(lambda event: json.dumps(event).encode()),
    ANY_EVENTS.map(lambda event: json.dumps(event).encode()),
    # Raw, unescaped text, lone surrogates written as the bytes a careless encoder would produce.
    PLAUSIBLE_EVENTS.map(lambda event: json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
)
CONTENT_TYPES = st.sampled_from(["text/plain", "application/json", "text/plain;charset=UTF-8", "text/plain"]) | TEXT
HEADER_VALUES = (
    st.sampled_from([CHROME, "", "curl/8.5.0", CHROME + " " + "a" * 600, "203.0.113.7", "FR", "XX", "x" * 9000]) | TEXT
)
ACCEPTED_STATUSES = {202, 400, 404, 429}


@settings(max_examples=examples(500), deadline=None)
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_the_parser_returns_a_storable_event_or_refuses_with_invalid_event(body, content_type):
    try:
        event = parse_event(body=body, content_type=content_type)
    except InvalidEvent as problem:
        assert str(problem)
        return
    assert isinstance(event, PageviewEvent)
    assert all(is_storable(text) for text in [event.domain, event.url, event.referrer])
    assert event.width is None or 1 <= event.width <= 100_000


def assert_no_server_error(response):
    event(f"status {response.status_code}")  # `pytest --hypothesis-show-statistics` shows how many got how far
    assert response.status_code in ACCEPTED_STATUSES
    if response.status_code == 202:
        assert response.content == b""
    else:
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert list(body) == ["error"]
        assert isinstance(body["error"], str)


@pytest.fixture
def site():
    return SiteFactory(domain="example.com")


@pytest.fixture
def client():
    """One client for every example: building one loads the middleware, a quarter of a second each time here.

    It raises what the view raises instead of answering 500, so a failure shows its traceback.
    """
    return Client(raise_request_exception=True)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_the_endpoint_answers_any_body_without_a_server_error(site, client, body):
    response = client.generic(
        "POST", "/api/event", data=body, content_type="text/plain", headers={"User-Agent": CHROME}
    )

    assert_no_server_error(response)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=BODIES,
    content_type=CONTENT_TYPES,
    user_agent=HEADER_VALUES,
    forwarded_for=HEADER_VALUES,
    country=HEADER_VALUES,
    content_length=st.none() | st.sampled_from(["", "-1", "0", "abc", "9" * 5000, "4097"]),
)
def test_the_endpoint_answers_any_headers_without_a_server_error(
    site, client, django_settings, body, content_type, user_agent, forwarded_for, country, content_length
):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for, "HTTP_CF_IPCOUNTRY": country}
    if content_length is not None:
        extra["CONTENT_LENGTH"] = content_length
    response = client.generic(
        "POST", "/api/event", data=body, content_type=content_type, headers={"User-Agent": user_agent}, **extra
    )

    assert_no_server_error(response)


@pytest.fixture
def django_settings(settings):
    """Trust one proxy and a country header, so the forwarded address and the country are parsed at all."""
    settings.NUM_PROXIES = 1
    settings.TRUSTED_COUNTRY_HEADER = "CF-IPCountry"
    return settings


def test_every_character_that_is_white_space_or_a_control_makes_a_url_not_absolute():
    """`SPACE_OR_CONTROL` is the rule `char.isspace() or ord(char) < 32`, checked for every code point."""
    refused = {chr(code) for code in range(0x110000) if chr(code).isspace() or code < 32}
    matched = {chr(code) for code in range(0x110000) if SPACE_OR_CONTROL.search(chr(code))}

    assert matched == refused
    assert {"\t", "\n", " ", "\x00", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"} <= refused
    assert not is_absolute_url("https://example.com/a\u2028b")
    assert not is_absolute_url("https://example.com/a\x1fb")
    assert is_absolute_url("https://example.com/a\x7fb")
