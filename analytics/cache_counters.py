"""Counters in the default cache (use counts, rate limits), and Redis pipelines costing one round trip."""

import logging
from collections.abc import Callable

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django_redis.cache import RedisCache
from redis.client import Pipeline
from redis.exceptions import RedisError

logger = logging.getLogger("glimpse.cache")


def redis_pipeline() -> tuple[Pipeline, Callable[[str], str]] | None:
    """A pipeline on the default cache and the function making its keys, or None when that cache is not Redis.

    Commands queued on it reach Redis when `execute()` runs, which raises `RedisError` if Redis is unreachable.
    Integers written through it are stored as plain numbers, which django-redis reads back as ints.
    """
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    return backend.client.get_client(write=True).pipeline(transaction=False), backend.client.make_key


def increment(key: str, delta: int = 1, *, timeout: float | None = None) -> int | None:
    """The counter's new value, or None when the cache cannot count (unreachable).

    One call in the usual case: the counter is created, with `timeout`, only when `incr` finds none.
    """
    try:
        return cache.incr(key, delta)
    except ValueError:
        cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, delta)
    except ValueError:
        return None


def count_in_window(key: str, *, seconds: int) -> int | None:
    """Add one to the counter `key`, which the cache drops after its window; None when the cache cannot count."""
    pipelined = redis_pipeline()
    if pipelined is None:
        return increment(key, timeout=seconds * 2)
    pipeline, cache_key = pipelined
    pipeline.set(cache_key(key), 0, ex=seconds * 2, nx=True)
    pipeline.incr(cache_key(key))
    try:
        return pipeline.execute()[1]
    except RedisError:
        logger.warning("Cache unreachable: rate limits are not applied", exc_info=True)
        return None
