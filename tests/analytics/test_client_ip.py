import pytest
from django.test import RequestFactory
from rest_framework.throttling import BaseThrottle

from analytics.client_ip import client_ip, client_network


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
def test_for_addresses_the_rule_is_drfs(settings, num_proxies, forwarded_for):
    """Where the header holds addresses, the rule is DRF's, which the public API's throttle was built on."""
    settings.NUM_PROXIES = num_proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = request_from("10.0.0.1", forwarded_for)
    assert client_ip(request) == BaseThrottle().get_ident(request)


@pytest.mark.parametrize(
    ("forwarded_for", "drf_says"),
    [
        ("", ""),
        ("unknown", "unknown"),
        ("203.0.113.9, ", ""),
        ("x" * 8192, "x" * 8192),
        ("fe80::1%" + "z" * 100, "fe80::1%" + "z" * 100),
        ("203.0.113.300", "203.0.113.300"),
    ],
)
def test_a_forwarded_value_that_is_not_an_address_falls_back_to_the_peer_where_drf_would_use_the_text(
    settings, forwarded_for, drf_says
):
    """An empty or forged entry must not become a rate-limit key (an 8 KB one became an 8 KB Redis key)."""
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = request_from("10.0.0.1", forwarded_for)

    assert client_ip(request) == "10.0.0.1"
    assert BaseThrottle().get_ident(request) == drf_says


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:81.2.69.142", "::ffff:81.2.69.142"),
        ("\t198.51.100.1 ", "198.51.100.1"),
    ],
)
def test_the_address_is_written_in_canonical_form(settings, forwarded_for, expected):
    """One client is one key and one visitor, however its address was spelled."""
    settings.NUM_PROXIES = 1
    assert client_ip(request_from("10.0.0.1", forwarded_for)) == expected


def test_a_long_forged_prefix_is_not_even_split(settings):
    """Only the last NUM_PROXIES entries are looked at, so a header of a thousand entries costs like one."""
    settings.NUM_PROXIES = 2
    forwarded_for = ", ".join(["6.6.6.6"] * 1000 + ["198.51.100.1", "10.0.0.2"])

    assert client_ip(request_from("10.0.0.1", forwarded_for)) == "198.51.100.1"


def test_the_public_api_throttle_identifies_clients_by_this_rule(settings):
    from sharing.throttling import PublicStatsThrottle

    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    assert PublicStatsThrottle().get_ident(request_from("10.0.0.1", "x" * 8192)) == "10.0.0.1"
    assert PublicStatsThrottle().get_ident(request_from("10.0.0.1", "198.51.100.1")) == "198.51.100.1"


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "not an address"),
    ],
)
def test_a_rate_limit_counts_an_ipv4_address_or_an_ipv6_slash_64_as_one_client(ip, network):
    assert client_network(ip) == network
