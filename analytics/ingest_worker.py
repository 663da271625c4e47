"""What an ingest worker does: take a batch from the event stream, write it in one transaction, acknowledge it.

Reading order, each time: entries this worker took but has not acknowledged (a write
that failed is retried), then entries another worker took and left idle for
`CLAIM_IDLE_MS` (it died), then new entries, waiting up to `block_ms` for them. An
entry is acknowledged and deleted only after its batch committed; its id, stored with
its pageview, makes a second write of it a no-op.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from redis import Redis
from redis.exceptions import ResponseError

from analytics.event_queue import FIELD, GROUP, STREAM, QueuedPageview, decode
from analytics.models import Site
from analytics.services import NewPageview, record_pageviews

logger = logging.getLogger("glimpse.ingest")

CLAIM_IDLE_MS = 30_000


@dataclass(frozen=True)
class DrainResult:
    taken: int
    written: int


def ensure_group(client: Redis) -> None:
    """Create the stream and its consumer group if they do not exist yet (every worker may ask)."""
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def take_batch(client: Redis, *, consumer: str, size: int, block_ms: int) -> list[tuple[bytes, dict]]:
    own = client.xreadgroup(GROUP, consumer, {STREAM: "0"}, count=size)
    entries = own[0][1] if own else []
    if entries:
        return entries
    _, claimed, *_ = client.xautoclaim(STREAM, GROUP, consumer, min_idle_time=CLAIM_IDLE_MS, count=size)
    if claimed:
        return claimed
    new = client.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=size, block=block_ms)
    return new[0][1] if new else []


def write_batch(queued: list[QueuedPageview]) -> int:
    """Write every pageview of the batch, all sites, in one transaction; returns how many were new."""
    by_site: dict[int, list[NewPageview]] = defaultdict(list)
    for item in queued:
        by_site[item.site_id].append(item.pageview)
    sites = Site.objects.in_bulk(list(by_site))
    written = 0
    with transaction.atomic():
        for site_id in sorted(by_site):
            site = sites.get(site_id)
            if site is None:
                logger.warning("Dropping %d queued pageviews of a site that no longer exists", len(by_site[site_id]))
                continue
            written += len(record_pageviews(site=site, pageviews=by_site[site_id]))
    return written


def drain_once(client: Redis, *, consumer: str, size: int = 1000, block_ms: int = 1000) -> DrainResult:
    """One batch: take, write, acknowledge. A failed write raises, leaving the entries to be retried."""
    entries = take_batch(client, consumer=consumer, size=size, block_ms=block_ms)
    if not entries:
        return DrainResult(taken=0, written=0)
    ids = [entry_id for entry_id, _ in entries]
    queued = [decode(fields[FIELD], event_id=entry_id.decode()) for entry_id, fields in entries if fields]
    written = write_batch(queued)
    pipeline = client.pipeline(transaction=False)
    pipeline.xack(STREAM, GROUP, *ids)
    pipeline.xdel(STREAM, *ids)
    pipeline.execute()
    return DrainResult(taken=len(entries), written=written)
