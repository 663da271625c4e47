"""A share link keeps serving its cached statistics while the database is away; a changed link never comes back.

The outage is every query of the test's connection failing as a refused connection does
(`django.db.OperationalError`), through Django's execute wrappers.
"""

import datetime as dt
import json
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from sharing import token_copies
from sharing.models import ShareToken
from sharing.services import extend_share_token_expiry, revoke_share_token, rotate_share_token, update_share_token
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = pytest.mark.django_db

URL = "/api/public/stats"
UNAVAILABLE = {"error": "Service unavailable, try again shortly"}


@pytest.fixture(autouse=True, params=[True, False], ids=["fast-paths", "plain-orm"])
def fast_paths(request, settings):
    settings.GLIMPSE_FAST_PATHS = request.param


@contextmanager
def database_away():
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def read(client, share_token, period="7d"):
    return client.get(URL, {"token": share_token.raw_token, "period": period})


def test_a_link_read_before_the_outage_answers_from_the_cache_with_the_same_body(client):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))
    before = read(client, share_token)
    assert before.status_code == 200

    with database_away():
        during = read(client, share_token)

    assert during.status_code == 200
    assert during.content == before.content


def test_a_link_never_read_before_the_outage_is_told_to_come_back(client):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))

    with database_away():
        response = read(client, share_token)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == UNAVAILABLE


def test_a_period_not_cached_yet_is_told_to_come_back(client):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"), allowed_periods=["7d", "30d"])
    assert read(client, share_token, "7d").status_code == 200

    with database_away():
        response = read(client, share_token, "30d")

    assert (response.status_code, json.loads(response.content)) == (503, UNAVAILABLE)


@pytest.mark.parametrize(
    "change",
    [
        lambda token: revoke_share_token(token, now=timezone.now()),
        lambda token: rotate_share_token(token, now=timezone.now(), grace=dt.timedelta(hours=1)),
        lambda token: update_share_token(
            token, now=timezone.now(), label="renamed", allowed_periods=[], expires_at=None
        ),
        lambda token: extend_share_token_expiry(token, by=dt.timedelta(days=1), now=timezone.now()),
        lambda token: ShareToken.objects.get(pk=token.pk).delete(),
        lambda token: token.site.delete(),
    ],
    ids=["revoked", "rotated", "edited", "extended", "deleted", "site-deleted"],
)
def test_a_link_changed_after_its_last_read_is_never_served_from_its_copy(
    client, change, django_capture_on_commit_callbacks
):
    share_token = ShareTokenFactory(
        site=SiteFactory(domain="example.com"), expires_at=timezone.now() + dt.timedelta(days=2)
    )
    assert read(client, share_token).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        change(share_token)
    with database_away():
        response = read(client, share_token)

    assert response.status_code == 503


def test_a_reader_that_looked_the_link_up_before_it_was_revoked_cannot_put_its_copy_back(
    client, django_capture_on_commit_callbacks
):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))
    looked_up = ShareToken.objects.select_related("site").get(pk=share_token.pk)  # active, as a reader saw it
    token_copies.forget_local_marks()
    with django_capture_on_commit_callbacks(execute=True):
        revoke_share_token(share_token, now=timezone.now())

    token_copies.remember(looked_up)  # that reader's copy arrives after the revocation committed

    assert token_copies.copy_of(share_token.digest, now=timezone.now()) is None


def test_a_copy_is_not_used_once_the_link_has_expired_by_its_own_time(client):
    share_token = ShareTokenFactory(
        site=SiteFactory(domain="example.com"), expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert read(client, share_token).status_code == 200

    later = timezone.now() + dt.timedelta(minutes=6)
    assert token_copies.copy_of(share_token.digest, now=timezone.now()) is not None
    assert token_copies.copy_of(share_token.digest, now=later) is None


def test_without_copies_an_outage_answers_503(client, settings):
    settings.TOKEN_COPY_SECONDS = 0
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))
    assert read(client, share_token).status_code == 200

    with database_away():
        response = read(client, share_token)

    assert response.status_code == 503


def test_an_unknown_token_during_the_outage_learns_nothing_about_which_links_exist(client):
    with database_away():
        response = client.get(URL, {"token": "nonexistent-token-value", "period": "7d"})

    assert (response.status_code, json.loads(response.content)) == (503, UNAVAILABLE)


def test_the_share_page_of_a_link_read_before_the_outage_is_served_through_it(client):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))
    page = f"/share/{share_token.raw_token}/"
    assert client.get(page).status_code == 200

    with database_away():
        response = client.get(page)

    assert response.status_code == 200
    assert b"example.com" in response.content


def test_a_share_page_nothing_cached_can_serve_says_so_in_the_readers_language(client):
    share_token = ShareTokenFactory(site=SiteFactory(domain="example.com"))

    with database_away():
        response = client.get(f"/share/{share_token.raw_token}/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Statistiken kurz nicht verfügbar" in response.content.decode()
