"""Use counts and last-used times: exact within a minute, without a database write per request."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from sharing import usage
from sharing.models import ShareToken
from sharing.usage import flush_token_usage, pending_key, record_token_use
from tests.factories import ShareTokenFactory

NOON = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
    }
}


def at(seconds: int) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


def stored(share_token: ShareToken) -> tuple[int, dt.datetime | None]:
    row = ShareToken.objects.values_list("use_count", "last_used_at").get(pk=share_token.pk)
    return row[0], row[1]


def test_first_use_is_written_at_once(share_token):
    record_token_use(share_token, now=at(5))

    assert stored(share_token) == (1, at(5))


def test_further_uses_in_the_same_minute_cost_no_query(share_token, django_assert_num_queries):
    record_token_use(share_token, now=at(5))

    with django_assert_num_queries(0):
        for second in (10, 20, 30):
            record_token_use(share_token, now=at(second))

    assert stored(share_token) == (1, at(5))


def test_first_use_in_a_new_minute_writes_everything_pending(share_token):
    for second in (5, 10, 20, 30, 65):
        record_token_use(share_token, now=at(second))

    assert stored(share_token) == (5, at(65))


def test_flush_writes_uses_still_pending_after_a_burst(share_token):
    for second in (5, 10, 20):
        record_token_use(share_token, now=at(second))

    written = flush_token_usage(now=at(90))

    assert written == 2
    assert stored(share_token) == (3, at(20))
    assert flush_token_usage(now=at(95)) == 0
    assert stored(share_token) == (3, at(20))


def test_flush_command_reports_what_it_wrote(share_token, capsys):
    for second in (5, 10, 20):
        record_token_use(share_token, now=at(second))

    call_command("flush_token_usage")

    assert capsys.readouterr().out == "Wrote 2 pending uses to the database.\n"
    assert stored(share_token) == (3, at(20))


def test_counts_stay_separate_per_token(site):
    first, second = ShareTokenFactory(site=site), ShareTokenFactory(site=site)

    for seconds in (1, 2, 3):
        record_token_use(first, now=at(seconds))
    record_token_use(second, now=at(4))
    flush_token_usage(now=at(100))

    assert stored(first) == (3, at(3))
    assert stored(second) == (1, at(4))


def test_a_flusher_that_lost_a_race_hands_its_claim_back(share_token):
    for second in (5, 10, 20, 30):
        record_token_use(share_token, now=at(second))
    key = pending_key(share_token.pk)
    seen_by_both = cache.get(key)

    assert usage._claim(key, seen_by_both) == 3
    assert usage._claim(key, seen_by_both) == 0
    assert cache.get(key) == 0


def test_last_used_time_never_moves_backwards(share_token):
    record_token_use(share_token, now=at(120))
    usage._add_to_row(share_token.pk, uses=1, last_used_at=at(30))

    assert stored(share_token) == (2, at(120))


def test_each_use_is_written_straight_to_the_row_when_the_cache_is_unreachable(share_token):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        for second in (5, 10, 20):
            record_token_use(share_token, now=at(second))

    assert stored(share_token) == (3, at(20))


def test_successful_api_calls_are_counted_and_failed_ones_are_not(client, site):
    share_token = ShareTokenFactory(site=site, allowed_periods=["7d", "30d"])

    statuses = [
        client.get("/api/public/stats", {"token": share_token.raw_token, "period": period}).status_code
        for period in ["7d", "30d", "7d", "90d", "7d"]
    ]
    flush_token_usage(now=dt.datetime.now(dt.UTC))

    assert statuses == [200, 200, 200, 403, 200]
    count, last_used_at = stored(share_token)
    assert count == 4
    assert last_used_at is not None


@pytest.mark.django_db
def test_admin_list_shows_uses_still_pending_in_the_cache(admin_client, share_token):
    for second in (5, 10, 20):
        record_token_use(share_token, now=at(second))

    response = admin_client.get("/admin/sharing/sharetoken/")

    assert response.status_code == 200
    assert '<td class="field-uses">3</td>' in response.content.decode()
    assert stored(share_token) == (3, at(20))
