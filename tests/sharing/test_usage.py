"""Use counts and last-used times: exact within about a second, at most one UPDATE a second per process."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sharing import usage
from sharing.local_uses import NotedUse, local_uses
from sharing.models import ShareToken
from sharing.usage import (
    flush_token_usage,
    hand_over_local_uses,
    legacy_last_used_key,
    legacy_pending_key,
    record_token_use,
)
from tests.factories import ShareTokenFactory

NOON = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
    }
}


def at(seconds: float) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


def stored(share_token: ShareToken) -> tuple[int, dt.datetime | None]:
    row = ShareToken.objects.values_list("use_count", "last_used_at").get(pk=share_token.pk)
    return row[0], row[1]


def statements(queries: CaptureQueriesContext) -> list[str]:
    """Each statement run, as UPDATE or its first word, leaving out the savepoints a test's transaction adds."""
    kinds = ["UPDATE" if " UPDATE " in query["sql"] else query["sql"].split()[0] for query in queries.captured_queries]
    return [kind for kind in kinds if kind not in {"SAVEPOINT", "RELEASE"}]


def fail_every_update(execute, sql, params, many, context):
    """Make each UPDATE fail in the database itself, which on PostgreSQL also aborts the transaction around it."""
    if " UPDATE " in sql:
        return execute('SELECT * FROM "no such table"', None, many, context)
    return execute(sql, params, many, context)


def test_first_use_is_written_at_once(share_token):
    record_token_use(share_token, now=at(5))

    assert stored(share_token) == (1, at(5))


def test_further_uses_within_a_second_cost_no_query(share_token, django_assert_num_queries):
    record_token_use(share_token, now=at(5))

    with django_assert_num_queries(0):
        for second in (5.2, 5.5, 5.9):
            record_token_use(share_token, now=at(second))

    assert stored(share_token) == (1, at(5))


def test_the_first_use_a_second_later_writes_everything_noted_with_one_update(share_token):
    for second in (5, 5.2, 5.5):
        record_token_use(share_token, now=at(second))

    with CaptureQueriesContext(connection) as queries:
        record_token_use(share_token, now=at(6.1))

    assert statements(queries) == ["UPDATE"]
    assert stored(share_token) == (4, at(6.1))


def test_a_hand_over_writes_every_token_it_carries_with_one_update(site):
    tokens = [ShareTokenFactory(site=site) for _ in range(3)]
    hand_over_local_uses(now=at(5))
    for index, share_token in enumerate(tokens):
        for use in range(index + 1):
            record_token_use(share_token, now=at(5.1 + index / 10 + use / 100))

    with CaptureQueriesContext(connection) as queries:
        assert hand_over_local_uses(now=at(6)) == 6

    assert statements(queries) == ["UPDATE"]
    assert [stored(share_token) for share_token in tokens] == [(1, at(5.1)), (2, at(5.21)), (3, at(5.32))]


def test_flush_writes_uses_still_noted_after_a_burst(share_token):
    for second in (5, 5.2, 5.5):
        record_token_use(share_token, now=at(second))

    written = flush_token_usage(now=at(90))

    assert written == 2
    assert stored(share_token) == (3, at(5.5))
    assert flush_token_usage(now=at(95)) == 0
    assert stored(share_token) == (3, at(5.5))


def test_flush_command_reports_what_it_wrote(share_token, capsys):
    for second in (5, 5.2, 5.5):
        record_token_use(share_token, now=at(second))

    call_command("flush_token_usage")

    assert capsys.readouterr().out == "Wrote 2 pending uses to the database.\n"
    assert stored(share_token) == (3, at(5.5))


def test_counts_stay_separate_per_token(site):
    first, second = ShareTokenFactory(site=site), ShareTokenFactory(site=site)

    for seconds in (1, 1.2, 1.3):
        record_token_use(first, now=at(seconds))
    record_token_use(second, now=at(1.4))
    flush_token_usage(now=at(100))

    assert stored(first) == (3, at(1.3))
    assert stored(second) == (1, at(1.4))


def test_last_used_time_never_moves_backwards(site):
    recent, unused = ShareTokenFactory(site=site), ShareTokenFactory(site=site)
    record_token_use(recent, now=at(120))

    usage._add_to_rows({recent.pk: NotedUse(count=1, last_used_at=at(30)), unused.pk: NotedUse(2, at(30))})

    assert (stored(recent), stored(unused)) == ((2, at(120)), (2, at(30)))


def test_a_hand_over_the_database_refused_goes_with_the_next_one(share_token):
    record_token_use(share_token, now=at(5))
    record_token_use(share_token, now=at(5.5))

    with connection.execute_wrapper(fail_every_update):
        assert hand_over_local_uses(now=at(6)) == 0
        record_token_use(share_token, now=at(6.5))

    assert stored(share_token) == (1, at(5))
    assert hand_over_local_uses(now=at(7)) == 2
    assert stored(share_token) == (3, at(6.5))


def test_uses_are_counted_as_usual_when_the_cache_is_unreachable(share_token):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        for second in (5, 5.5, 10, 10.2):
            record_token_use(share_token, now=at(second))
        assert stored(share_token) == (3, at(10))
        flush_token_usage(now=at(30))

    assert stored(share_token) == (4, at(10.2))


def test_counts_an_earlier_version_left_in_the_cache_are_written_once(site):
    share_token, other = ShareTokenFactory(site=site), ShareTokenFactory(site=site)
    cache.set(legacy_pending_key(share_token.pk), 5)
    cache.set(
        legacy_last_used_key(share_token.pk), (at(40) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10**6
    )

    assert flush_token_usage(now=at(90)) == 5
    assert flush_token_usage(now=at(95)) == 0
    assert (stored(share_token), stored(other)) == ((5, at(40)), (0, None))


def test_a_flusher_that_lost_a_race_for_counts_left_in_the_cache_hands_its_claim_back(share_token):
    key = legacy_pending_key(share_token.pk)
    cache.set(key, 3)
    seen_by_both = cache.get(key)

    assert usage._claim(key, seen_by_both) == 3
    assert usage._claim(key, seen_by_both) == 0
    assert cache.get(key) == 0


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
def test_admin_list_shows_uses_still_noted_in_the_process(admin_client, share_token):
    for second in (5, 5.2, 5.5):
        record_token_use(share_token, now=at(second))

    response = admin_client.get("/admin/sharing/sharetoken/")

    assert response.status_code == 200
    assert '<td class="field-uses">3</td>' in response.content.decode()
    assert stored(share_token) == (3, at(5.5))
    assert local_uses.take(now=at(100)) == {}
