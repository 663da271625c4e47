"""Computed statistics, cached per site, period and local date, so every token of a site shares one entry.

Only the statistics are cached, never a response: the token is validated on every
request before this cache is read, which is what makes revocation instant
(docs/definitions.md, "Caching").

Each process also keeps its own copy of the entries it reads, until the moment the
shared entry itself expires, so a hit costs no cache round trip. Entries are never
deleted or replaced early, so a copy is never staler than the shared entry would be.
Once every `LOCAL_COPY_CHECK_SECONDS` a process compares its copy with the shared entry
and takes the shared one: when the shared entry is lost (Redis restarted or flushed), the
first process to notice puts its copy back and the others take it, so two processes never
answer one link differently for longer than that. A new entry is put only where none is
(`cache.add`), so processes computing at once agree on the first.

Statistics are computed inside `statistics_reads()`, so they come from a read replica when one is
close enough behind (`analytics.read_replicas`); the token was looked up on the primary before.

A site's owner reads live numbers (`owner_stats`): at most `OWNER_STATS_SECONDS` old, under
keys of their own, so the public entries, their lifetime and their copies stay exactly as they are.

What a page shows next to the statistics — the previous period (`cached_previous_stats`) and the
24 hourly buckets (`cached_hourly`) — is cached beside the entry it belongs to, keyed by that
entry's `computed_at` and computed as of that same moment: the hours add up to the 24-hour
numbers they sit next to, and a new entry brings new companions.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from analytics.comparisons import previous_site_stats, previous_window
from analytics.hourly import HourRow, hourly_counts
from analytics.models import Site
from analytics.monitoring import STATS_CACHE
from analytics.periods import Period
from analytics.process_state import fast_paths_enabled
from analytics.read_replicas import statistics_reads
from analytics.selectors import site_stats
from analytics.stats import SiteStats
from sharing.payloads import render_json, stats_fields

CACHE_VERSION = 2
LOCAL_COPIES_LIMIT = 256  # entries of ~20 kB; the copies start afresh when full
LOCAL_COPY_CHECK_SECONDS = 1.0
OWNER_STATS_SECONDS = 60

_local_copies: dict[str, "LocalCopy"] = {}
Companion = TypeVar("Companion")


@dataclass(frozen=True)
class CachedStats:
    """One computation of a site's statistics: the numbers, the same numbers rendered as the API's JSON
    metric fields, and when they were computed. The API sends `body`; the share page reads `stats`."""

    stats: SiteStats
    body: bytes
    computed_at: dt.datetime


@dataclass
class LocalCopy:
    entry: CachedStats
    checked_at: dt.datetime


def stats_cache_key(*, site: Site, period: Period, now: dt.datetime) -> str:
    """Day periods are keyed by the site-local date, so the entry turns over at the site's midnight."""
    window_key = "rolling" if period.days is None else now.astimezone(site.tzinfo).date().isoformat()
    return f"stats:v{CACHE_VERSION}:{site.pk}:{period.value}:{window_key}"


def cached_stats(*, site: Site, period: Period, now: dt.datetime) -> CachedStats:
    key = stats_cache_key(site=site, period=period, now=now)
    lifetime = dt.timedelta(seconds=settings.STATS_CACHE_SECONDS)
    local_copies = fast_paths_enabled()
    copy = _local_copies.get(key) if local_copies else None
    if copy is not None and now >= copy.entry.computed_at + lifetime:
        copy = None
    if copy is not None and now < copy.checked_at + dt.timedelta(seconds=LOCAL_COPY_CHECK_SECONDS):
        STATS_CACHE.labels(result="hit").inc()
        return copy.entry
    entry = cache.get(key)
    STATS_CACHE.labels(result="miss" if entry is None and copy is None else "hit").inc()
    if entry is None:
        entry = share_entry(key, copy.entry if copy else compute_stats(site=site, period=period, now=now), now=now)
    if copy is not None and entry.computed_at == copy.entry.computed_at:
        entry = copy.entry
    if local_copies:
        if len(_local_copies) >= LOCAL_COPIES_LIMIT:
            _local_copies.clear()
        _local_copies[key] = LocalCopy(entry=entry, checked_at=now)
    return entry


def share_entry(key: str, entry: CachedStats, *, now: dt.datetime) -> CachedStats:
    """Put `entry` in the shared cache for the rest of its lifetime unless another process put one first; the one
    every process will read. With the cache away, `entry` itself."""
    lifetime = entry.computed_at + dt.timedelta(seconds=settings.STATS_CACHE_SECONDS) - now
    if cache.add(key, entry, timeout=max(1, math.ceil(lifetime.total_seconds()))):
        return entry
    return cache.get(key) or entry


def owner_stats(*, site: Site, period: Period, now: dt.datetime) -> CachedStats:
    """The owner's dashboard: computed at most `OWNER_STATS_SECONDS` before `now`.

    Owners are few, so there are no per-process copies here, and the entry lives under its own key:
    a share link's readers keep the public entry and its lifetime whatever an owner looks at.
    """
    key = f"{stats_cache_key(site=site, period=period, now=now)}:owner"
    entry = cache.get(key)
    if entry is None or now >= entry.computed_at + dt.timedelta(seconds=OWNER_STATS_SECONDS):
        entry = compute_stats(site=site, period=period, now=now)
        cache.set(key, entry, timeout=OWNER_STATS_SECONDS)
    return entry


def compute_stats(*, site: Site, period: Period, now: dt.datetime) -> CachedStats:
    with statistics_reads():
        stats = site_stats(site=site, period=period, now=now)
    return CachedStats(stats=stats, body=render_json(stats_fields(stats)), computed_at=now)


def cached_companion(
    *, site: Site, period: Period, of: CachedStats, kind: str, compute: Callable[[], Companion]
) -> Companion:
    key = f"stats:v{CACHE_VERSION}:{site.pk}:{period.value}:{kind}:{of.computed_at.isoformat()}"
    value = cache.get(key)
    if value is None:
        with statistics_reads():
            value = compute()
        cache.set(key, value, timeout=settings.STATS_CACHE_SECONDS)
    return value


def cached_previous_stats(*, site: Site, period: Period, of: CachedStats) -> SiteStats:
    """The window just before the one `of` covers (`analytics.comparisons`)."""
    return cached_companion(
        site=site,
        period=period,
        of=of,
        kind="previous",
        compute=lambda: previous_site_stats(site=site, period=period, now=of.computed_at),
    )


def cached_hourly(*, site: Site, of: CachedStats, previous: bool = False) -> list[HourRow]:
    """The 24 hours of a `24h` entry, hour by hour; with `previous`, the 24 hours before them."""
    now = of.computed_at
    if previous:
        now = previous_window(Period.HOURS_24, now=now, tz=site.tzinfo).end
    return cached_companion(
        site=site,
        period=Period.HOURS_24,
        of=of,
        kind="previous-hourly" if previous else "hourly",
        compute=lambda: hourly_counts(site=site, now=now),
    )


def forget_local_copies() -> None:
    _local_copies.clear()
