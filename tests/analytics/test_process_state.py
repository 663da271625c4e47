"""Per-process fast-path state: one reset clears all of it, and one setting turns the fast paths off."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.periods import Period
from analytics.process_state import reset_process_state
from sharing import stats_cache
from sharing.local_uses import local_uses
from sharing.selectors import find_active_token
from sharing.token_lookup import compiled_lookup
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db


def test_one_reset_clears_stats_copies_noted_uses_and_compiled_lookups(site):
    share_token = ShareTokenFactory(site=site)
    now = timezone.now()
    assert find_active_token(share_token.raw_token, now=now) == share_token
    stats_cache.cached_stats(site=site, period=Period.DAYS_7, now=now)
    local_uses.note(share_token.pk, now=now)
    assert compiled_lookup.cache_info().currsize == 1
    assert len(stats_cache._local_copies) == 1

    reset_process_state()

    assert compiled_lookup.cache_info().currsize == 0
    assert stats_cache._local_copies == {}
    assert local_uses.take(now=now) == {}


def test_with_fast_paths_off_lookups_use_the_orm_and_no_local_copies_are_kept(site, settings):
    settings.GLIMPSE_FAST_PATHS = False
    share_token = ShareTokenFactory(site=site)
    now = timezone.now()

    found = find_active_token(share_token.raw_token, now=now)
    first = stats_cache.cached_stats(site=site, period=Period.DAYS_7, now=now)
    cache.clear()
    second = stats_cache.cached_stats(site=site, period=Period.DAYS_7, now=now + dt.timedelta(seconds=1))

    assert found == share_token
    assert found.site == site
    assert compiled_lookup.cache_info().currsize == 0
    assert stats_cache._local_copies == {}
    assert second.computed_at == first.computed_at + dt.timedelta(seconds=1)


def test_with_fast_paths_on_a_second_read_comes_from_this_process(site):
    now = timezone.now()

    first = stats_cache.cached_stats(site=site, period=Period.DAYS_7, now=now)
    cache.clear()
    second = stats_cache.cached_stats(site=site, period=Period.DAYS_7, now=now + dt.timedelta(seconds=1))

    assert second is first
