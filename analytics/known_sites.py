"""Sites by domain for `POST /api/event`, which must keep accepting events while PostgreSQL is away.

Each process remembers a site for `KNOWN_SITE_SECONDS` (60), so an event costs no site
query and an edit to a site (its allowed hosts, its blocklists) reaches the endpoint
within that time. Unknown domains
are remembered too, so a flood of events for made-up domains costs one query per domain
a minute; the memory is bounded and starts afresh when full.

Every answer the database gives is also copied to the queue's Redis (one hash, field per
domain), which is persistent: when the database cannot answer, the process serves what
it last knew, however old, then the Redis copy (a process started during the outage),
and asks the database again only after `RETRY_DATABASE_AFTER`. Only a domain known to
neither is refused, with `SitesUnavailable` (the endpoint's 503 tells the tracker to
retry). An outage is logged once per interval.
"""

import datetime as dt
import json
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from analytics.models import Site
from analytics.queue_redis import queue_client
from analytics.unavailable import EventsUnavailable

logger = logging.getLogger("glimpse.ingest")

REMEMBERED_LIMIT = 10_000
RETRY_DATABASE_AFTER = 5.0  # seconds of serving copies before asking the database again
COPIES = "glimpse:known-sites"
# What the event path reads of a site; the copy holds these and nothing else.
COPIED_FIELDS = ("id", "domain", "timezone", "allowed_hostnames", "blocked_sources", "blocked_paths")


class SitesUnavailable(EventsUnavailable):
    """The database cannot say whether the domain is a site, and no copy knows it."""


_lock = threading.Lock()
_remembered: dict[str, tuple[Site | None, dt.datetime]] = {}
_database_failed_at: float | None = None


def site_for_domain(domain: str, *, now: dt.datetime) -> Site | None:
    with _lock:
        known = _remembered.get(domain)
        resting = _database_failed_at is not None and time.monotonic() - _database_failed_at < RETRY_DATABASE_AFTER
    if known is not None and (now < known[1] or resting):
        return known[0]
    if not resting:
        try:
            site = Site.objects.filter(domain=domain).first()
        except DatabaseError as error:
            database_failed(error)
        else:
            remember(domain, site, now=now)
            return site
    if known is not None:
        return known[0]
    copied = copied_site(domain)
    if copied is None:
        raise SitesUnavailable(domain)
    remember(domain, copied, now=now, copy=False)
    return copied


def remember(domain: str, site: Site | None, *, now: dt.datetime, copy: bool = True) -> None:
    global _database_failed_at
    with _lock:
        if len(_remembered) >= REMEMBERED_LIMIT:
            _remembered.clear()
        _remembered[domain] = (site, now + dt.timedelta(seconds=settings.KNOWN_SITE_SECONDS))
        if copy:
            _database_failed_at = None
    if copy:
        keep_copy(domain, site)


def database_failed(error: DatabaseError) -> None:
    global _database_failed_at
    with _lock:
        _database_failed_at = time.monotonic()
    logger.warning("Database unreachable, events are accepted for the sites known from copies: %s", error)


def keep_copy(domain: str, site: Site | None) -> None:
    """Copy the database's answer to Redis; a domain that is no site (any more) leaves the copy."""
    client = queue_client()
    if client is None:
        return
    try:
        if site is None:
            client.hdel(COPIES, domain)
        else:
            client.hset(COPIES, domain, json.dumps([getattr(site, field) for field in COPIED_FIELDS]))
    except RedisError:
        # The queue's own outage handling logs it; a copy is refreshed on the next lookup.
        return


def copied_site(domain: str) -> Site | None:
    client = queue_client()
    if client is None:
        return None
    try:
        data = client.hget(COPIES, domain)
    except RedisError:
        return None
    if data is None:
        return None
    return Site(**dict(zip(COPIED_FIELDS, json.loads(data), strict=True)))


def forget_sites() -> None:
    global _database_failed_at
    with _lock:
        _remembered.clear()
        _database_failed_at = None
