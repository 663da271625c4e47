"""What an ingest worker does: take a batch from the event stream, write it in one transaction, acknowledge it.

Reading order, each time: entries this worker took but has not acknowledged (a write
that failed is retried), then entries another worker took and left idle for
`CLAIM_IDLE_MS` (it died), then new entries, waiting up to `block_ms` for them. An
entry is acknowledged and deleted only after its batch committed; its id, stored with
its pageview, makes a second write of it a no-op.

A Redis that restarted without its append-only file, or evicted the stream, has lost
the consumer group: the worker recreates it (reading the stream from its start, so
entries appended since are not skipped) and logs that once per loss.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError, ResponseError

from analytics.event_queue import GROUP, STREAM, QueuedPageview, decode_entries
from analytics.models import Site
from analytics.monitoring import INGEST_BATCH_SECONDS
from analytics.services import NewPageview, record_batch, record_batch_of_free_visitors

logger = logging.getLogger("glimpse.ingest")

CLAIM_IDLE_MS = 30_000
# At most this many entries per batch; a worker that keeps up takes whatever is there. A backlog drains
# in big batches: fewer stream round trips, and a visitor's pageviews of one batch make one session write.
BATCH_SIZE = 5000
VISITORS_PER_TRANSACTION = 1000  # see `parts`
GATHER_MS = 250  # see `gather_pause`


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


def group_is_missing(error: ResponseError) -> bool:
    """NOGROUP for a read, UNBLOCKED for a read that was waiting when the stream went away."""
    return str(error).startswith(("NOGROUP", "UNBLOCKED"))


def report_queue_length(client: Redis) -> int | None:
    """Log how full the stream is when it holds half its bound or more (the worker calls it once a minute)."""
    try:
        length = client.xlen(STREAM)
    except RedisError:
        return None
    bound = settings.EVENT_QUEUE_MAX_LENGTH
    if length * 2 >= bound:
        logger.warning("Event queue holds %d events, %d%% of EVENT_QUEUE_MAX_LENGTH", length, length * 100 // bound)
    return length


def take_batch(client: Redis, *, consumer: str, size: int, block_ms: int) -> list[tuple[bytes, dict]]:
    """The next batch to write; recreates a lost consumer group and then returns nothing (the next call reads)."""
    try:
        return take_entries(client, consumer=consumer, size=size, block_ms=block_ms)
    except ResponseError as error:
        if not group_is_missing(error):
            raise
    ensure_group(client)
    logger.warning("The event stream's consumer group was gone (Redis lost its data or evicted it); recreated it")
    return []


def take_entries(client: Redis, *, consumer: str, size: int, block_ms: int) -> list[tuple[bytes, dict]]:
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
    """Write every pageview of the batch, in one transaction per part (`parts`); returns how many were new.

    Each part is one `record_batch` of all its sites. The entries are acknowledged only
    after the last part committed: a part written before a failure is skipped the next time
    (its event ids are stored). Visitors another worker is writing at that moment are not
    waited for: their pageviews are written after the other parts, when that worker has most
    likely committed (`record_batch_of_free_visitors`).
    """
    by_site: dict[int, list[NewPageview]] = defaultdict(list)
    for item in queued:
        by_site[item.site_id].append(item.pageview)
    sites = Site.objects.in_bulk(list(by_site))
    for site_id in [site_id for site_id in by_site if site_id not in sites]:
        logger.warning("Dropping %d queued pageviews of a site that no longer exists", len(by_site.pop(site_id)))
    written = 0
    busy: dict[int, list[NewPageview]] = defaultdict(list)
    for part in parts(by_site):
        stored, left = record_batch_of_free_visitors([(sites[site_id], pageviews) for site_id, pageviews in part])
        written += len(stored)
        for site, pageviews in left:
            busy[site.pk] += pageviews
    for part in parts({site_id: pageviews for site_id, pageviews in busy.items() if pageviews}):
        written += len(record_batch([(sites[site_id], pageviews) for site_id, pageviews in part]))
    return written


def parts(by_site: dict[int, list[NewPageview]]) -> list[list[tuple[int, list[NewPageview]]]]:
    """The batch cut into parts of at most `VISITORS_PER_TRANSACTION` visitors, each with all its pageviews.

    A transaction holds an advisory lock per visitor until it commits, and PostgreSQL's lock
    table is shared by every connection (by default `max_locks_per_transaction` times
    `max_connections` entries, 6,400): a batch of 5,000 visitors would fill most of it.
    Cutting by visitor changes no number (a part is a batch like any other) and keeps a
    visitor's pageviews together, so each of their sessions is still written once. Within
    a part, sites come in id order, as the roll-up locks must.
    """
    cut: list[list[tuple[int, list[NewPageview]]]] = [[]]
    room = VISITORS_PER_TRANSACTION
    for site_id in sorted(by_site):
        by_visitor: dict[int, list[NewPageview]] = defaultdict(list)
        for pageview in by_site[site_id]:
            by_visitor[pageview.visitor_id].append(pageview)
        visitors = list(by_visitor.values())
        while visitors:
            if room == 0:
                cut.append([])
                room = VISITORS_PER_TRANSACTION
            taken, visitors = visitors[:room], visitors[room:]
            room -= len(taken)
            cut[-1].append((site_id, [pageview for pageviews in taken for pageview in pageviews]))
    return [part for part in cut if part]


def gather_pause(*, taken: int, size: int, elapsed: float, gather_seconds: float) -> float:
    """How long to wait before the next read, after a batch of `taken` entries read and written in `elapsed` s.

    A batch smaller than `size` emptied the stream. Under a steady stream of events, reading
    again at once would take the few that arrived during the write: batches of tens, each
    paying a batch's fixed cost (locks, statements, a commit), which made a worker's CPU per
    event three to four times a full batch's and took the cores the web processes serve from.
    Waiting until `gather_seconds` have passed since the batch was read lets the next batch
    gather what arrives meanwhile; an event is still visible well within a second. After an
    empty read (the stream was idle) or a full batch (a backlog), there is no wait.
    """
    if taken == 0 or taken >= size:
        return 0.0
    return max(0.0, gather_seconds - elapsed)


def drain_once(client: Redis, *, consumer: str, size: int = BATCH_SIZE, block_ms: int = 1000) -> DrainResult:
    """One batch: take, write, acknowledge. A failed write raises, leaving the entries to be retried."""
    entries = take_batch(client, consumer=consumer, size=size, block_ms=block_ms)
    if not entries:
        return DrainResult(taken=0, written=0)
    ids = [entry_id for entry_id, _ in entries]
    queued = decode_entries(entries)
    with INGEST_BATCH_SECONDS.time():
        written = write_batch(queued)
    pipeline = client.pipeline(transaction=False)
    pipeline.xack(STREAM, GROUP, *ids)
    pipeline.xdel(STREAM, *ids)
    pipeline.execute()
    return DrainResult(taken=len(entries), written=written)
