"""Computed statistics, cached per site and period so every token of a site shares one entry.

Only the statistics are cached, never a response: the token is validated on every
request before this cache is read, which is what makes revocation instant.

Each process also keeps its own copy of the entries it reads, until the moment the
shared entry itself expires, so a hit costs no cache round trip. Entries are never
deleted or replaced early, so a copy is never staler than the shared entry would be.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from analytics.models import Site
from analytics.selectors import site_stats
from sharing.payloads import stats_fields

CACHE_VERSION = 1
LOCAL_COPIES_LIMIT = 256  # entries of ~10 kB; the copies start afresh when full

_local_copies: dict[str, "CachedStats"] = {}


@dataclass(frozen=True)
class CachedStats:
    """The metric fields of a response, already rendered as a JSON object, and when they were computed."""

    body: bytes
    computed_at: dt.datetime


def stats_cache_key(*, site: Site, period: str, now: dt.datetime) -> str:
    """Day periods are keyed by the site-local date, so the entry turns over at the site's midnight."""
    window_key = "rolling" if period == "24h" else now.astimezone(site.tzinfo).date().isoformat()
    return f"stats:v{CACHE_VERSION}:{site.pk}:{period}:{window_key}"


def render_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def cached_stats(*, site: Site, period: str, now: dt.datetime) -> CachedStats:
    key = stats_cache_key(site=site, period=period, now=now)
    lifetime = dt.timedelta(seconds=settings.STATS_CACHE_SECONDS)
    entry = _local_copies.get(key)
    if entry is not None and now < entry.computed_at + lifetime:
        return entry
    entry = cache.get(key)
    if entry is None:
        stats = site_stats(site=site, period=period, now=now)
        entry = CachedStats(body=render_json(stats_fields(stats)), computed_at=now)
        cache.set(key, entry, timeout=settings.STATS_CACHE_SECONDS)
    if len(_local_copies) >= LOCAL_COPIES_LIMIT:
        _local_copies.clear()
    _local_copies[key] = entry
    return entry


def forget_local_copies() -> None:
    """Drop this process's copies (tests start from an empty cache)."""
    _local_copies.clear()
