"""Computed statistics, cached per site and period so every token of a site shares one entry.

Only the statistics are cached, never a response: the token is validated on every
request before this cache is read, which is what makes revocation instant.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from analytics.models import Site
from analytics.periods import window_for
from analytics.selectors import site_stats
from sharing.payloads import stats_fields

CACHE_VERSION = 1


@dataclass(frozen=True)
class CachedStats:
    """The metric fields of a response, already rendered as a JSON object, and when they were computed."""

    body: bytes
    computed_at: dt.datetime


def stats_cache_key(*, site: Site, period: str, now: dt.datetime) -> str:
    """Day periods are keyed by the site-local date, so the entry turns over at the site's midnight."""
    window = window_for(period, now=now, tz=site.tzinfo)
    window_key = "rolling" if period == "24h" else window.dates[-1].isoformat()
    return f"stats:v{CACHE_VERSION}:{site.pk}:{period}:{window_key}"


def render_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def cached_stats(*, site: Site, period: str, now: dt.datetime) -> CachedStats:
    key = stats_cache_key(site=site, period=period, now=now)
    entry = cache.get(key)
    if entry is not None:
        return entry
    entry = CachedStats(body=render_json(stats_fields(site_stats(site=site, period=period, now=now))), computed_at=now)
    cache.set(key, entry, timeout=settings.STATS_CACHE_SECONDS)
    return entry
