"""The OpenAPI schema at /api/schema/ describes the public API, and the API keeps to it under fuzzing.

schemathesis generates requests from the schema and runs them in-process against the
WSGI app: no answer may be a 5xx, and every answer must match its documented status,
content type and body. One test swaps in a real token, so the 200 body is checked too.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from analytics.services import record_pageview
from sharing.throttling import PublicStatsThrottle
from tests.factories import ShareTokenFactory, SiteFactory
from tests.hypothesis_profiles import examples

SCHEMA_URL = "/api/schema/?format=json"


@pytest.fixture(autouse=True)
def connections_kept_across_requests():
    """The WSGI handler closes "old" connections around each request, as Django's test client prevents too:
    closing the test's connection would end its transaction (on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def operations(*, path: str | None = None) -> list:
    loaded = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    found = [result.ok() for result in loaded.get_all_operations()]
    return [operation for operation in found if path is None or operation.path == path]


def fuzz(operation, check) -> None:
    """Run `check` on up to 40 generated requests for `operation` (hypothesis shrinks any failure)."""

    @given(case=operation.as_strategy())
    @settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        check(case)

    run()


@pytest.fixture
def no_rate_limit(monkeypatch):
    monkeypatch.setattr(PublicStatsThrottle, "THROTTLE_RATES", {"public_stats": None})


@pytest.fixture
def shared_site(db):
    site = SiteFactory(domain="example.com", nickname="")
    record_pageview(site=site, timestamp=site.created_at, visitor_id=1, path="/", country="US", browser="Firefox")
    return site


def test_the_schema_is_served_as_json_and_names_both_endpoints(client):
    response = client.get(SCHEMA_URL)

    assert response.status_code == 200
    document = json.loads(response.content)
    assert set(document["paths"]) == {"/api/public/stats", "/api/event"}
    parameters = {item["name"]: item for item in document["paths"]["/api/public/stats"]["get"]["parameters"]}
    assert sorted(parameters["period"]["schema"]["enum"]) == ["24h", "30d", "365d", "7d", "90d"]
    assert parameters["token"]["required"] is True
    assert parameters["compare"]["schema"]["enum"] == ["previous"]
    assert parameters["compare"].get("required", False) is False
    assert parameters["X-Share-Password"]["in"] == "header"
    operation = document["paths"]["/api/public/stats"]["get"]
    assert "401" in operation["responses"]
    body = document["components"]["schemas"]["PublicStats"]
    assert "previous" in body["properties"] and "previous" not in body["required"]


def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(no_rate_limit, shared_site):
    for operation in operations():
        fuzz(operation, lambda case: case.call_and_validate())


def test_fuzzed_periods_with_a_real_token_get_documented_answers(no_rate_limit, shared_site):
    raw_token = ShareTokenFactory(site=shared_site).raw_token
    statuses: set[int] = set()

    def with_real_token(case) -> None:
        case.query = {**(case.query or {}), "token": raw_token}
        statuses.add(case.call_and_validate().status_code)

    (operation,) = operations(path="/api/public/stats")
    fuzz(operation, with_real_token)
    assert statuses == {200}
