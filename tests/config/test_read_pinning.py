"""An owner's statistics come from the primary for a while after their own change (`config.read_pinning`)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from analytics.read_replicas import statistics_reads
from config.read_pinning import PIN_COOKIE, PinReadsAfterWrites

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture
def with_replica(settings, monkeypatch):
    settings.DATABASES = {**settings.DATABASES, "replica1": settings.DATABASES["default"]}
    monkeypatch.setattr("analytics.read_replicas.usable_replicas", lambda: ["replica1"])


class SignedIn:
    is_authenticated = True


def run(request, *, status: int = 200):
    """The middleware around a view that notes where statistics would be read."""
    seen = []

    def view(request):
        with statistics_reads() as alias:
            seen.append(alias)
        return HttpResponse(status=status)

    return PinReadsAfterWrites(view)(request), seen[0]


def request(method: str, *, user, pinned: bool = False):
    made = getattr(RequestFactory(), method.lower())("/admin/analytics/site/1/change/")
    made.user = user
    if pinned:
        made.COOKIES[PIN_COOKIE] = "1"
    return made


def test_an_owners_accepted_change_pins_their_next_reads_to_the_primary(with_replica, settings):
    settings.REPLICA_PIN_SECONDS = 15

    response, alias = run(request("POST", user=SignedIn()))

    assert alias == "replica1"
    assert response.cookies[PIN_COOKIE]["max-age"] == 15
    assert response.cookies[PIN_COOKIE]["httponly"] is True
    _, pinned_alias = run(request("GET", user=SignedIn(), pinned=True))
    assert pinned_alias == "default"


def test_a_refused_change_or_a_read_sets_no_pin(with_replica):
    refused, _ = run(request("POST", user=SignedIn()), status=400)
    read, _ = run(request("GET", user=SignedIn()))

    assert PIN_COOKIE not in refused.cookies
    assert PIN_COOKIE not in read.cookies


def test_anonymous_requests_ignore_the_pin_cookie_and_never_get_one(with_replica):
    response, alias = run(request("POST", user=AnonymousUser(), pinned=True))

    assert alias == "replica1"
    assert PIN_COOKIE not in response.cookies
