import pytest
from django.test import RequestFactory
from rest_framework.throttling import BaseThrottle

from analytics.client_ip import client_ip


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().post("/api/event", **extra)


def test_without_proxies_x_forwarded_for_is_ignored(settings):
    settings.NUM_PROXIES = 0
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "198.51.100.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_client_is_the_nth_address_from_the_right(settings, num_proxies, forwarded_for, expected):
    """Entries left of what our own proxies appended were written by the client and may be forged."""
    settings.NUM_PROXIES = num_proxies
    assert client_ip(request_from("10.0.0.1", forwarded_for)) == expected


def test_behind_a_proxy_without_the_header_the_peer_address_is_used(settings):
    settings.NUM_PROXIES = 1
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"
    assert client_ip(request_from("10.0.0.1", "")) == "10.0.0.1"


@pytest.mark.parametrize("num_proxies", [0, 1, 2])
@pytest.mark.parametrize("forwarded_for", [None, "6.6.6.6", "6.6.6.6, 198.51.100.1", "7.7.7.7, 6.6.6.6, 198.51.100.1"])
def test_the_rule_is_the_one_the_api_throttles_use(settings, num_proxies, forwarded_for):
    """The public API's rate limit and ingestion must agree on who the client is."""
    settings.NUM_PROXIES = num_proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = request_from("10.0.0.1", forwarded_for)
    assert client_ip(request) == BaseThrottle().get_ident(request)
