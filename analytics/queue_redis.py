"""Clients of the Redis holding what must survive: the event queue and the copies the event path needs.

`QUEUE_REDIS_URL` (by default the cache's `REDIS_URL`), so a persistent, non-evicting
instance can hold the queue while the cache lives elsewhere. The web uses short socket
timeouts (an outage must cost a request little); a worker's client waits longer than its
blocking read, so an idle worker waits quietly and reads an event the moment it arrives.
"""

import threading
from urllib.parse import urlsplit

from django.conf import settings
from redis import Redis
from redis.sentinel import Sentinel

WEB_SOCKET_TIMEOUT = 0.5
CONNECT_TIMEOUT = 0.25
# A worker's socket timeout is its blocking read's wait plus this much, so the wait itself never times out.
WORKER_TIMEOUT_MARGIN = 2.0

_clients: dict[tuple[str, float], Redis] = {}
_clients_lock = threading.Lock()


def queue_configured() -> bool:
    return bool(settings.INGEST_QUEUE and settings.QUEUE_REDIS_URL)


def queue_client(*, socket_timeout: float = WEB_SOCKET_TIMEOUT) -> Redis | None:
    """A client of the queue's Redis (`QUEUE_REDIS_URL`), one connection pool per URL and timeout; None without one."""
    if not queue_configured():
        return None
    url = settings.QUEUE_REDIS_URL
    sentinels = tuple(settings.REDIS_SENTINELS)
    key = (url, sentinels, socket_timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = new_client(url=url, sentinels=sentinels, socket_timeout=socket_timeout)
    return client


def new_client(*, url: str, sentinels: tuple, socket_timeout: float) -> Redis:
    """A client of `url`; with `REDIS_SENTINELS`, of the primary the sentinels name for the URL's host (the service
    name, as for the cache: `redis://<service>/<db>`), followed through a failover."""
    if not sentinels:
        return Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=CONNECT_TIMEOUT)
    parts = urlsplit(url)
    sentinel = Sentinel(
        list(sentinels),
        sentinel_kwargs={"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": WEB_SOCKET_TIMEOUT},
    )
    return sentinel.master_for(
        parts.hostname,
        db=int(parts.path.strip("/") or 0),
        password=parts.password,
        socket_timeout=socket_timeout,
        socket_connect_timeout=CONNECT_TIMEOUT,
    )


def worker_client(*, block_ms: int) -> Redis | None:
    """The ingest worker's client: its socket timeout outlasts `XREADGROUP BLOCK block_ms`."""
    return queue_client(socket_timeout=block_ms / 1000 + WORKER_TIMEOUT_MARGIN)
