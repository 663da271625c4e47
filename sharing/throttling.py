"""The public API's per-client rate limit, at one cache round trip per request.

DRF's own throttles keep each client's request times as a list that is read and
written back on every request: two round trips and a pickle as long as the rate. Here a
client has one counter per fixed window of the rate's period; a client may make up to
the limit in each window, so at most twice the limit across a window boundary, which is
enough to slow token guessing down. If the cache is unreachable, requests are let through.
"""

import logging

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django_redis.cache import RedisCache
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger("glimpse.cache")


class PublicStatsThrottle(SimpleRateThrottle):
    """Per-client rate limit; it also counts failed lookups, which slows token guessing."""

    scope = "public_stats"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = count_in_window(f"throttle:{self.scope}:{self.get_ident(request)}:{window}", seconds=self.duration)
        self.seconds_left = (window + 1) * self.duration - now
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left


def count_in_window(key: str, *, seconds: int) -> int | None:
    """Add one to the counter `key`, which the cache drops after its window; None when the cache cannot count."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        cache_key = backend.client.make_key(key)
        try:
            pipeline = backend.client.get_client(write=True).pipeline(transaction=False)
            pipeline.set(cache_key, 0, ex=seconds * 2, nx=True)
            pipeline.incr(cache_key)
            return pipeline.execute()[1]
        except RedisError:
            logger.warning("Cache unreachable: the public API rate limit is not applied", exc_info=True)
            return None
    cache.add(key, 0, timeout=seconds * 2)
    try:
        return cache.incr(key)
    except ValueError:
        return None
