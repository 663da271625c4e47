"""One network may bring a site only so many new visitors a minute; visitors it already brought stay welcome."""

import json

import pytest

from analytics.models import Session
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_new_visitors_a_minute(settings):
    settings.NEW_VISITORS_PER_NETWORK = "3/min"
    settings.EVENT_RATE = ""
    SiteFactory(domain="example.com")


def send(client, *, address: str, browser: int, domain: str = "example.com"):
    """Each `browser` number is another user agent, so another visitor id for the same address."""
    body = json.dumps({"domain": domain, "url": f"https://{domain}/"})
    agent = f"Mozilla/5.0 (X11; Linux x86_64; rv:{browser}.0) Gecko/20100101 Firefox/{browser}.0"
    return client.post("/api/event", body, content_type="text/plain", HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def test_a_fourth_new_visitor_from_one_address_is_refused_with_429(client):
    responses = [send(client, address="203.0.113.9", browser=number) for number in (120, 121, 122, 123)]

    assert [response.status_code for response in responses] == [202, 202, 202, 429]
    assert 1 <= int(responses[3]["Retry-After"]) <= 60
    assert responses[3].json() == {"error": "Too many requests"}
    assert Session.objects.count() == 3


def test_visitors_already_brought_keep_coming_and_other_networks_are_counted_apart(client):
    for number in (120, 121, 122):
        send(client, address="203.0.113.9", browser=number)

    statuses = [
        send(client, address="203.0.113.9", browser=120).status_code,  # seen in this minute
        send(client, address="203.0.113.10", browser=123).status_code,  # another IPv4 address
        send(client, address="2001:db8:0:1::1", browser=124).status_code,
    ]

    assert statuses == [202, 202, 202]


def test_one_ipv6_slash_64_is_one_network(client):
    statuses = [
        send(client, address=f"2001:db8:0:1::{number}", browser=120 + number).status_code for number in range(4)
    ]

    assert statuses == [202, 202, 202, 429]


def test_each_site_has_its_own_cap(client):
    SiteFactory(domain="other.example")
    for number in (120, 121, 122):
        send(client, address="203.0.113.9", browser=number)

    assert send(client, address="203.0.113.9", browser=123, domain="other.example").status_code == 202


def test_an_empty_setting_switches_the_cap_off(client, settings):
    settings.NEW_VISITORS_PER_NETWORK = ""

    assert {send(client, address="203.0.113.9", browser=number).status_code for number in range(120, 130)} == {202}


def test_the_cap_holds_with_the_counts_in_redis(client, tmp_path):
    from django.test import override_settings

    from tests.private_redis import running_private_redis

    for redis in running_private_redis(directory=tmp_path, append_only=False):
        with override_settings(CACHES=redis.caches):
            statuses = [send(client, address="203.0.113.9", browser=number).status_code for number in range(120, 124)]
            again = send(client, address="203.0.113.9", browser=121).status_code

    assert (statuses, again) == ([202, 202, 202, 429], 202)
