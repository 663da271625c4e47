"""Each process keeps copies of the shared stats entries it reads, never past the shared entry's own expiry."""

import datetime as dt

import pytest
from django.core.cache import cache

from analytics.periods import Period
from analytics.services import record_pageview
from sharing import stats_cache
from sharing.stats_cache import cached_hourly, cached_previous_stats, cached_stats, owner_stats, stats_cache_key
from tests.factories import SiteFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def cache_reads(monkeypatch):
    """The keys read from the shared cache, in order."""
    reads: list[str] = []
    real_get = cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(stats_cache.cache, "get", counting_get)
    return reads


@pytest.fixture
def visited_site(site):
    record_pageview(site=site, timestamp=NOW - dt.timedelta(hours=1), visitor_id=1, path="/")
    return site


def test_a_second_read_uses_this_process_copy_without_a_cache_round_trip(visited_site, cache_reads):
    first = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    second = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=0.9))

    assert second is first
    assert cache_reads == [stats_cache_key(site=visited_site, period=Period.DAYS_7, now=NOW)]
    assert b'"pageviews":1,' in first.body


def test_the_copy_is_compared_with_the_shared_entry_once_a_second_and_kept_while_they_agree(visited_site, cache_reads):
    first = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    reads = [
        cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=seconds))
        for seconds in (0.5, 1.0, 1.5, 2.0, 299)
    ]

    assert all(read is first for read in reads)
    assert cache_reads == [stats_cache_key(site=visited_site, period=Period.DAYS_7, now=NOW)] * 4


def as_process(copies: dict) -> None:
    """Make this process's copies those of another process (`copies`, as `_local_copies` held them)."""
    stats_cache.forget_local_copies()
    stats_cache._local_copies.update(copies)


@pytest.mark.parametrize("first_to_read_again", ["holder of the copy", "other process"])
def test_after_the_shared_entry_is_lost_every_process_answers_alike_within_a_second(visited_site, first_to_read_again):
    """Process A holds a copy when the shared entry is lost (Redis flushed); process B never read it. A pageview
    arrives meanwhile. Whichever reads first after the loss, both then answer with one entry."""
    held = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    copies_of_a = dict(stats_cache._local_copies)
    cache.clear()
    record_pageview(site=visited_site, timestamp=NOW + dt.timedelta(minutes=1), visitor_id=2, path="/new")
    later = NOW + dt.timedelta(seconds=90)

    if first_to_read_again == "holder of the copy":
        as_process(copies_of_a)
        a = cached_stats(site=visited_site, period=Period.DAYS_7, now=later)
        as_process({})
        b = cached_stats(site=visited_site, period=Period.DAYS_7, now=later + dt.timedelta(seconds=0.2))
        expected_pageviews = 1
    else:
        as_process({})
        b = cached_stats(site=visited_site, period=Period.DAYS_7, now=later)
        as_process(copies_of_a)
        a = cached_stats(site=visited_site, period=Period.DAYS_7, now=later + dt.timedelta(seconds=0.2))
        expected_pageviews = 2

    assert a.body == b.body
    assert a.computed_at == b.computed_at
    assert a.stats.pageviews == expected_pageviews
    assert held.stats.pageviews == 1


def test_the_copy_is_not_used_once_the_shared_entry_has_expired(visited_site, cache_reads, settings):
    settings.STATS_CACHE_SECONDS = 300
    cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    record_pageview(site=visited_site, timestamp=NOW + dt.timedelta(minutes=1), visitor_id=2, path="/new")
    cache.clear()

    later = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=300))

    assert len(cache_reads) == 2
    assert later.computed_at == NOW + dt.timedelta(seconds=300)
    assert b'"pageviews":2,' in later.body


def test_a_copy_made_from_the_shared_entry_expires_with_it(visited_site, cache_reads):
    cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    stats_cache.forget_local_copies()

    from_shared = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=200))
    again = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=200.5))
    expired = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=300))

    assert from_shared.computed_at == again.computed_at == NOW
    assert len(cache_reads) == 3
    assert expired.computed_at == NOW  # still the shared entry: its real-time lifetime has not run out here


def test_copies_start_afresh_when_the_limit_is_reached(visited_site, monkeypatch):
    monkeypatch.setattr(stats_cache, "LOCAL_COPIES_LIMIT", 2)

    for period in [Period.DAYS_7, Period.DAYS_30, Period.DAYS_90]:
        cached_stats(site=visited_site, period=period, now=NOW)

    assert list(stats_cache._local_copies) == [stats_cache_key(site=visited_site, period=Period.DAYS_90, now=NOW)]


def test_owner_stats_are_recomputed_once_a_minute_and_leave_the_public_entry_alone(visited_site):
    public = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    first = owner_stats(site=visited_site, period=Period.DAYS_7, now=NOW)
    record_pageview(site=visited_site, timestamp=NOW + dt.timedelta(seconds=5), visitor_id=2, path="/new")

    within = owner_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=59))
    after = owner_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=60))
    public_later = cached_stats(site=visited_site, period=Period.DAYS_7, now=NOW + dt.timedelta(seconds=60))

    assert (first.stats.pageviews, within.stats.pageviews, after.stats.pageviews) == (1, 1, 2)
    assert after.computed_at == NOW + dt.timedelta(seconds=60)
    assert public_later is public
    assert public_later.stats.pageviews == 1
    assert cache.get(stats_cache_key(site=visited_site, period=Period.DAYS_7, now=NOW)) == public


def test_the_hours_are_cached_with_their_entry_and_add_up_to_its_24_hour_numbers(site):
    """A pageview arriving after the entry was computed shows in neither, until a new entry brings new hours."""
    record_pageview(site=site, timestamp=NOW - dt.timedelta(hours=2), visitor_id=1, path="/")
    entry = cached_stats(site=site, period=Period.HOURS_24, now=NOW)
    record_pageview(site=site, timestamp=NOW + dt.timedelta(minutes=1), visitor_id=2, path="/")

    later = NOW + dt.timedelta(minutes=2)
    same_entry = cached_stats(site=site, period=Period.HOURS_24, now=later)
    hours = cached_hourly(site=site, of=same_entry)

    assert same_entry.computed_at == entry.computed_at == NOW
    assert sum(row.pageviews for row in hours) == same_entry.stats.pageviews == 1
    assert hours[-1].counted_until == NOW


def test_previous_period_stats_are_cached_beside_their_entry(site, cache_reads):
    entry = cached_stats(site=site, period=Period.DAYS_7, now=NOW)

    first = cached_previous_stats(site=site, period=Period.DAYS_7, of=entry)
    second = cached_previous_stats(site=site, period=Period.DAYS_7, of=entry)

    key = f"stats:v{stats_cache.CACHE_VERSION}:{site.pk}:7d:previous:{NOW.isoformat()}"
    assert cache_reads.count(key) == 2
    assert first == second
    assert [row.date.isoformat() for row in first.daily][:1] == ["2026-03-05"]


# --- Turning over at the site's local midnight -----------------------------------------------------------------
# Europe/Berlin is UTC+1 in March: 22:59 UTC on the 18th is 23:59 there, 23:01 UTC is 00:01 on the 19th.


@pytest.fixture
def berlin_site(db):
    return SiteFactory(domain="berlin.example", timezone="Europe/Berlin")


@pytest.mark.parametrize(
    ("utc_moment", "key_end"),
    [
        ("2026-03-18T22:59", "7d:2026-03-18"),
        ("2026-03-18T23:01", "7d:2026-03-19"),
        ("2026-03-19T00:01", "7d:2026-03-19"),
    ],
)
def test_a_day_period_is_keyed_by_the_site_local_date(berlin_site, utc_moment, key_end):
    now = dt.datetime.fromisoformat(utc_moment).replace(tzinfo=dt.UTC)

    key = stats_cache_key(site=berlin_site, period=Period.DAYS_7, now=now)

    assert key == f"stats:v{stats_cache.CACHE_VERSION}:{berlin_site.pk}:{key_end}"


def test_reads_at_23_59_and_00_01_local_time_do_not_share_an_entry(berlin_site, cache_reads):
    """Two minutes apart, well within the entry's 300 s, and on the same UTC date: only the local date parts them.
    The second read sees the new day, with the pageview made at 00:00:30."""
    before = cached_stats(site=berlin_site, period=Period.DAYS_7, now=dt.datetime(2026, 3, 18, 22, 59, tzinfo=dt.UTC))
    record_pageview(
        site=berlin_site, timestamp=dt.datetime(2026, 3, 18, 23, 0, 30, tzinfo=dt.UTC), visitor_id=1, path="/"
    )
    after = cached_stats(site=berlin_site, period=Period.DAYS_7, now=dt.datetime(2026, 3, 18, 23, 1, tzinfo=dt.UTC))

    assert after is not before
    assert after.computed_at == dt.datetime(2026, 3, 18, 23, 1, tzinfo=dt.UTC)
    assert (before.stats.daily[-1].date, before.stats.pageviews) == (dt.date(2026, 3, 18), 0)
    assert (after.stats.daily[-1].date, after.stats.pageviews) == (dt.date(2026, 3, 19), 1)
    assert len(cache_reads) == 2


def test_reads_within_one_local_day_share_an_entry_across_the_utc_midnight(berlin_site, cache_reads):
    """00:58 and 01:01 in Berlin on the 19th are 23:58 on the 18th and 00:01 on the 19th in UTC: one local day."""
    first = cached_stats(site=berlin_site, period=Period.DAYS_7, now=dt.datetime(2026, 3, 18, 23, 58, tzinfo=dt.UTC))
    stats_cache.forget_local_copies()
    second = cached_stats(site=berlin_site, period=Period.DAYS_7, now=dt.datetime(2026, 3, 19, 0, 1, tzinfo=dt.UTC))

    assert second.computed_at == first.computed_at == dt.datetime(2026, 3, 18, 23, 58, tzinfo=dt.UTC)
    assert cache_reads == [f"stats:v{stats_cache.CACHE_VERSION}:{berlin_site.pk}:7d:2026-03-19"] * 2


def test_the_owner_dashboard_turns_over_at_the_local_midnight_too(berlin_site):
    before = owner_stats(
        site=berlin_site, period=Period.DAYS_30, now=dt.datetime(2026, 3, 18, 22, 59, 30, tzinfo=dt.UTC)
    )
    after = owner_stats(site=berlin_site, period=Period.DAYS_30, now=dt.datetime(2026, 3, 18, 23, 0, 10, tzinfo=dt.UTC))

    assert (before.stats.daily[-1].date, after.stats.daily[-1].date) == (dt.date(2026, 3, 18), dt.date(2026, 3, 19))
    assert after.computed_at == dt.datetime(2026, 3, 18, 23, 0, 10, tzinfo=dt.UTC)
