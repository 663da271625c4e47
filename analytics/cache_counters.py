"""Counters in the default cache (use counts, rate limits), and Redis pipelines costing one round trip.

A rate limit never switches off: when Redis is unreachable, or refuses writes at its
`maxmemory`, its windows are counted in this process instead (`count_locally`), so each
process enforces the limit on its own (a client spread over N processes gets at most N
times it) until Redis counts again.
"""

import logging
import threading
from collections.abc import Callable

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django_redis.cache import RedisCache
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import RedisError

logger = logging.getLogger("glimpse.cache")

# Windows counted in this process while Redis cannot count; past this many, the old ones go.
LOCAL_WINDOWS_LIMIT = 100_000
_local_lock = threading.Lock()
_local_counts: dict[str, int] = {}


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
    """Add one to the counter `key`, which the cache drops after its window (in this process when Redis cannot count).

    None only when an in-process cache cannot count.
    """
    pipelined = redis_pipeline()
    if pipelined is None:
        return increment(key, timeout=seconds * 2)
    pipeline, cache_key = pipelined
    pipeline.set(cache_key(key), 0, ex=seconds * 2, nx=True)
    pipeline.incr(cache_key(key))
    try:
        return pipeline.execute()[1]
    except RedisError as error:
        logger.warning("Cache cannot count, rate limits are counted in each process: %s", error)
        return count_locally(key)


def count_locally(key: str) -> int:
    """Add one to this process's counter `key` (its window is part of the key)."""
    with _local_lock:
        if len(_local_counts) >= LOCAL_WINDOWS_LIMIT and key not in _local_counts:
            _local_counts.clear()
        count = _local_counts.get(key, 0) + 1
        _local_counts[key] = count
    return count


# Admits `member` to the set `KEYS[1]` if it is there already or the set holds fewer than `ARGV[2]`; 1 if admitted.
ADMIT_TO_SET = Script(
    None,
    b"""
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
""",
)
_local_sets: dict[str, set[str]] = {}


def admit_to_set(key: str, member: str, *, limit: int, seconds: int) -> bool:
    """Whether `member` is in the set `key` or joins it (at most `limit` members; the set goes after `seconds`).

    One round trip on Redis; counted in this process when the cache is not Redis or cannot count.
    """
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        try:
            client = backend.client.get_client(write=True)
            return bool(ADMIT_TO_SET(keys=[backend.client.make_key(key)], args=[member, limit, seconds], client=client))
        except RedisError as error:
            logger.warning("Cache cannot count, rate limits are counted in each process: %s", error)
    return admit_locally(key, member, limit=limit)


def admit_locally(key: str, member: str, *, limit: int) -> bool:
    """`admit_to_set` in this process's own sets (their window is part of the key)."""
    with _local_lock:
        members = _local_sets.get(key)
        if members is None:
            if len(_local_sets) >= LOCAL_WINDOWS_LIMIT:
                _local_sets.clear()
            members = _local_sets[key] = set()
        if member in members:
            return True
        if len(members) >= limit:
            return False
        members.add(member)
        return True


def forget_local_counts() -> None:
    with _local_lock:
        _local_counts.clear()
        _local_sets.clear()
