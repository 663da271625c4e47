"""Whether the queue's Redis keeps what it accepts: checked when a web or ingest process starts.

Accepted events live in Redis until a worker has written them. A Redis without its
append-only file loses every one of them on a restart, and one with an `allkeys-*`
`maxmemory-policy` deletes them to make room (one cache write evicted 48,184 accepted
events in a drill). `QUEUE_DURABILITY_CHECK` says what a process does about it: `warn`
logs an error naming the fix and goes on, `refuse` stops the process, `off` skips the
check. A Redis that does not answer `INFO` (down, or the command renamed away) is
reported as unchecked, never as fine.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis import Redis
from redis.exceptions import RedisError

from analytics.queue_redis import queue_client

logger = logging.getLogger("glimpse.ingest")

MODES = ("warn", "refuse", "off")


def durability_problems(client: Redis) -> list[str]:
    """What would make this Redis lose accepted events, each with its fix; empty when it keeps them."""
    try:
        persistence = client.info("persistence")
        memory = client.info("memory")
    except RedisError as error:
        return [f"could not be checked ({error})"]
    problems = []
    if not persistence.get("aof_enabled"):
        problems.append("has no append-only file, so a restart loses every queued event (set appendonly yes)")
    policy = memory.get("maxmemory_policy", "noeviction")
    # `volatile-*` evicts only keys with a lifetime (cache entries); the stream has none.
    if policy.startswith("allkeys"):
        problems.append(
            f"evicts keys at maxmemory (maxmemory-policy {policy}), queued events included "
            "(set maxmemory-policy noeviction, or give the queue its own Redis with QUEUE_REDIS_URL)"
        )
    return problems


def check_queue_durability() -> None:
    """Apply `QUEUE_DURABILITY_CHECK` to the queue's Redis; raises `ImproperlyConfigured` when refusing."""
    mode = settings.QUEUE_DURABILITY_CHECK
    if mode not in MODES:
        raise ImproperlyConfigured(f"QUEUE_DURABILITY_CHECK must be one of {', '.join(MODES)}, not {mode!r}")
    client = queue_client()
    if mode == "off" or client is None:
        return
    problems = durability_problems(client)
    if not problems:
        return
    message = "The event queue's Redis (QUEUE_REDIS_URL) " + "; it ".join(problems)
    if mode == "refuse":
        raise ImproperlyConfigured(message + ". QUEUE_DURABILITY_CHECK=warn starts anyway.")
    logger.error("%s. Accepted events can be lost.", message)
