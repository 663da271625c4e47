"""One resolution of a share request: the 400 / 404 / 403 order, the default period, and when a use counts."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.periods import Period
from sharing.models import ShareToken
from sharing.share_requests import (
    LinkNotFound,
    PeriodNotAllowed,
    TokenRequired,
    resolve_share_request,
)
from sharing.usage import flush_token_usage
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db


def uses_of(share_token: ShareToken) -> int:
    flush_token_usage(token_ids=[share_token.pk], now=timezone.now())
    return ShareToken.objects.get(pk=share_token.pk).use_count


def test_a_usable_token_gets_its_sites_stats_for_the_default_period(site):
    share_token = ShareTokenFactory(site=site)

    resolved = resolve_share_request(raw_token=share_token.raw_token, period=None, now=timezone.now())

    assert resolved.share_token == share_token
    assert resolved.period is Period.DAYS_7
    assert resolved.stats.stats.period == "7d"
    assert len(resolved.stats.stats.daily) == 7
    assert uses_of(share_token) == 1


def test_an_empty_period_is_the_default_and_another_default_can_be_asked_for(site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["30d", "90d"])

    resolved = resolve_share_request(
        raw_token=share_token.raw_token, period="", now=timezone.now(), default_period=Period.DAYS_30
    )

    assert resolved.period is Period.DAYS_30


def test_no_token_is_checked_before_anything_else(site):
    with pytest.raises(TokenRequired) as refused:
        resolve_share_request(raw_token="", period="nonsense", now=timezone.now())

    assert (refused.value.status, refused.value.message) == (400, "Share token required")


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired"])
def test_unusable_tokens_are_one_and_the_same_404_before_the_period_is_looked_at(site, state):
    raw_token = "glimpse_unknown" if state == "unknown" else ShareTokenFactory(site=site, **{state: True}).raw_token

    with pytest.raises(LinkNotFound) as refused:
        resolve_share_request(raw_token=raw_token, period="nonsense", now=timezone.now())

    assert (refused.value.status, refused.value.message) == (404, "Invalid or expired share link")


@pytest.mark.parametrize("period", ["90d", "1y", "7D", " 30d"])
def test_a_period_the_token_does_not_allow_is_403_and_is_not_a_use(site, period):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d", "30d"])

    with pytest.raises(PeriodNotAllowed) as refused:
        resolve_share_request(raw_token=share_token.raw_token, period=period, now=timezone.now())

    assert (refused.value.status, refused.value.message) == (403, "Period not allowed for this share")
    assert (refused.value.share_token, refused.value.requested) == (share_token, period)
    assert uses_of(share_token) == 0


def test_a_request_whose_stats_fail_is_not_counted_as_a_use(site, monkeypatch):
    share_token = ShareTokenFactory(site=site)

    def explode(**kwargs):
        raise RuntimeError("stats store unavailable")

    monkeypatch.setattr("sharing.share_requests.cached_stats", explode)
    with pytest.raises(RuntimeError):
        resolve_share_request(raw_token=share_token.raw_token, period="7d", now=timezone.now())

    assert uses_of(share_token) == 0


def test_one_clock_decides_validity_and_the_stats(site):
    share_token = ShareTokenFactory(site=site, expires_at=timezone.now() + dt.timedelta(hours=1))
    after_expiry = timezone.now() + dt.timedelta(hours=2)

    with pytest.raises(LinkNotFound):
        resolve_share_request(raw_token=share_token.raw_token, period="7d", now=after_expiry)


@pytest.mark.parametrize(("allowed", "expected"), [(["90d", "30d"], Period.DAYS_30), ([], Period.DAYS_7)])
def test_no_default_given_means_the_links_own_default(site, allowed, expected):
    share_token = ShareTokenFactory(site=site, allowed_periods=allowed)

    resolved = resolve_share_request(
        raw_token=share_token.raw_token, period=None, now=timezone.now(), default_period=None
    )

    assert resolved.period is expected
