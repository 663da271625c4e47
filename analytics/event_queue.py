"""The queue between `POST /api/event` and the database: a Redis Stream read by a consumer group.

The endpoint only validates, enriches, counts the event against its limits and appends it
(one round trip for all three: `ADMIT_AND_APPEND`), then answers 202;
ingest workers (`manage.py ingest_events`) take batches and write them, one transaction
per batch. Redis Streams keep an entry until a worker acknowledges it, so an entry a
worker took but never wrote — it was killed, or the database was down — is handed to
a worker again. Each entry's id is stored with its pageview, so an entry written but not
yet acknowledged when its worker died is not written twice.

Entries hold only what is stored anyway (site, time, visitor id, path, source, device,
browser, country): never an IP address or a user agent. Accepted events live in Redis
until written, so production Redis needs persistence (`appendonly yes`).

The queue's Redis is `QUEUE_REDIS_URL` (`analytics.queue_redis`).

Without a queue (the embedded default), events are written straight to the database as
batches of one. While the queue's Redis is unreachable, events wait in a bounded spool
on local disk (`analytics.event_spool`) and are replayed into the stream when it takes
events again; the outage is logged once per interval and Redis is tried again a few
seconds later.
"""

import atexit
import datetime as dt
import json
import logging
import secrets
import threading
import time
from typing import NamedTuple

from django.conf import settings
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

from analytics.event_limits import EventLimits
from analytics.event_spool import event_spool, new_event_id
from analytics.new_visitors import TooManyNewVisitors
from analytics.queue_journal import queue_journal
from analytics.queue_redis import queue_client, queue_configured
from analytics.services import NewPageview
from analytics.unavailable import EventsUnavailable

logger = logging.getLogger("glimpse.ingest")

STREAM = "glimpse:events"
GROUP = "ingest"
FIELD = b"e"
RETRY_REDIS_AFTER = 5.0  # seconds without trying Redis after it failed


# One accepted event, one round trip: counts the event against its client's rate (KEYS[1], a counter per window;
# limit ARGV[1], 0 for none) and its network's new visitors to the site (KEYS[2], a set per window; limit ARGV[4], 0
# for none; a visitor already in the set always passes), then appends it below the stream's bound, answering
# {outcome, epoch[, entry id]}. Each refusal leaves what was counted before it, as separate calls would: an event over
# the rate admits no visitor, a full queue keeps the rate and the visitor counted. A bound by `XADD MAXLEN ~` would trim
# the oldest entries, accepted events no worker has written yet: a full queue refuses the new event instead. The epoch
# says which life of the queue's Redis the event was appended in: the marker next to the stream holds a random value,
# which a Redis that lost its data no longer has; the script then sets the caller's fresh value (ARGV[9]).
ADMIT_AND_APPEND = Script(
    None,
    b"""
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[9]
  redis.call('SET', KEYS[4], epoch)
end
local rate = tonumber(ARGV[1])
if rate > 0 then
  local count = redis.call('INCR', KEYS[1])
  if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
  if count > rate then return {'rate', epoch} end
end
local cap = tonumber(ARGV[4])
if cap > 0 and redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= cap then return {'visitors', epoch} end
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
if redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[6]) then return {'full', epoch} end
return {'added', epoch, redis.call('XADD', KEYS[3], '*', ARGV[7], ARGV[8])}
""",
)
MARKER = "glimpse:events-epoch"
# Keys the script is given for a limit that is off: never written.
NO_KEY = "glimpse:no-limit"


class QueueFull(EventsUnavailable):
    """The stream holds `EVENT_QUEUE_MAX_LENGTH` entries: the workers are far behind, the event is refused."""


class QueuedPageview(NamedTuple):
    site_id: int
    pageview: NewPageview


def encode(*, site_id: int, pageview: NewPageview) -> bytes:
    """The entry's payload; a pageview with an id of its own (every one the web queues) carries it as a ninth item."""
    own_id = [pageview.event_id] if pageview.event_id else []
    return json.dumps(
        [
            site_id,
            pageview.timestamp.isoformat(),
            pageview.visitor_id,
            pageview.path,
            pageview.source,
            pageview.device_type,
            pageview.browser,
            pageview.country,
            *own_id,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def decode(data: bytes, *, event_id: str) -> QueuedPageview:
    return queued_pageview(json.loads(data), event_id=event_id)


def decode_entries(entries: list[tuple[bytes, dict]]) -> list[QueuedPageview]:
    """The pageviews of stream entries (id, fields); entries without fields (deleted meanwhile) are left out.

    One `json.loads` for the whole batch: per entry, the call itself cost more than the parsing.
    """
    present = [(entry_id, fields[FIELD]) for entry_id, fields in entries if fields]
    values = json.loads(b"[" + b",".join(data for _, data in present) + b"]")
    return [
        queued_pageview(value, event_id=entry_id.decode()) for (entry_id, _), value in zip(present, values, strict=True)
    ]


def queued_pageview(value: list, *, event_id: str) -> QueuedPageview:
    """The entry's pageview, identified by its own id if it has one, else by the stream entry's id."""
    site_id, timestamp, visitor_id, path, source, device_type, browser, country, *own_id = value
    event_id = own_id[0] if own_id else event_id
    return QueuedPageview(
        site_id,
        NewPageview(
            dt.datetime.fromisoformat(timestamp), visitor_id, path, source, device_type, browser, country, event_id
        ),
    )


class QueueConnection:
    """The web's client of the queue, with a short pause after a failure so an outage costs
    each request nothing but a flag check, and the log one line per interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._epoch: bytes | None = None

    def client(self) -> Redis | None:
        with self._lock:
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_REDIS_AFTER:
                return None
        return queue_client()

    def failed(self, error: RedisError) -> None:
        with self._lock:
            self._failed_at = time.monotonic()
        logger.warning("Event queue unreachable, spooling events to local disk: %s", error)

    def forget(self) -> None:
        with self._lock:
            self._failed_at = None
            self._epoch = None

    def add(
        self, client: Redis, entry: bytes, *, limits: EventLimits | None = None, site_id: int = 0, visitor_id: int = 0
    ) -> None:
        """Count the event against `limits` (if given) and append `entry` to the stream, in one round trip.

        Raises `TooManyEvents` or `TooManyNewVisitors` over a limit, `QueueFull` at the stream's bound,
        `RedisError` on failure (nothing counted then, unless Redis ran the script and the answer was lost).
        An epoch other than the one this process last appended in means Redis lost its data since: the
        entries this process queued lately are put back first (`analytics.queue_journal`).
        """
        rate = limits.rate_window() if limits is not None else None
        visitors = limits.visitors_window(site_id=site_id) if limits is not None else None
        outcome, epoch, *entry_id = ADMIT_AND_APPEND(
            keys=[rate.key if rate else NO_KEY, visitors.key if visitors else NO_KEY, STREAM, MARKER],
            args=[
                rate.limit if rate else 0,
                rate.seconds * 2 if rate else 0,
                str(visitor_id) if visitors else "",
                visitors.limit if visitors else 0,
                visitors.seconds * 2 if visitors else 0,
                settings.EVENT_QUEUE_MAX_LENGTH,
                FIELD,
                entry,
                secrets.token_hex(8),
            ],
            client=client,
        )
        if limits is not None:
            limits.counted = True
        self._requeue_if_lost(client, epoch)
        if outcome == b"rate":
            raise limits.over_rate()
        if outcome == b"visitors":
            raise TooManyNewVisitors(visitors.wait)
        if outcome == b"full":
            logger.warning(
                "Event queue full at EVENT_QUEUE_MAX_LENGTH=%d, refusing events", settings.EVENT_QUEUE_MAX_LENGTH
            )
            raise QueueFull(STREAM)
        queue_journal.add([entry], ids=entry_id)

    def count_rate(self, limits: EventLimits) -> None:
        """Count an event that ends before the queue against its client's rate, in the counter the append script
        uses; in this process while the queue's Redis cannot count. Raises `TooManyEvents` over the rate."""
        rate = limits.rate_window()
        if rate is None or not limits.take():
            return
        client = self.client()
        if client is not None:
            try:
                pipeline = client.pipeline(transaction=False)
                pipeline.set(rate.key, 0, ex=rate.seconds * 2, nx=True)
                pipeline.incr(rate.key)
                count = pipeline.execute()[1]
            except RedisError as error:
                self.failed(error)
            else:
                if count > rate.limit:
                    raise limits.over_rate()
                return
        limits.count_locally()

    def _requeue_if_lost(self, client: Redis, epoch: bytes | None) -> None:
        with self._lock:
            known, self._epoch = self._epoch, epoch or self._epoch
            if known is None or epoch is None or epoch == known:
                return
            recent = queue_journal.recent()
            pipeline = client.pipeline(transaction=False)
            for entry in recent:
                pipeline.xadd(STREAM, {FIELD: entry})
            queue_journal.add(recent, ids=pipeline.execute())
        logger.warning(
            "The event queue's Redis had lost its data (restarted without its append-only file, flushed or evicted): "
            "put back %d events this process queued in the last %d s",
            len(recent),
            settings.QUEUE_JOURNAL_SECONDS,
        )


queue_connection = QueueConnection()


def spool_waiting_entries() -> int:
    """At exit: move this process's journal entries still waiting in the stream to its spool (see queue_journal).

    When the stream cannot be read, every journal entry goes: queued twice, written once.
    """
    journal = queue_journal.recent_with_ids()
    client = queue_client()
    if not journal or client is None:
        return 0
    try:
        listed = client.xrange(STREAM, min=min(entry_id for entry_id, _ in journal), count=len(journal) * 4)
        waiting = {entry_id for entry_id, _ in listed}
        complete = len(listed) < len(journal) * 4
    except RedisError:
        waiting, complete = set(), False
    kept = [entry for entry_id, entry in journal if entry_id in waiting or not complete]
    for entry in kept:
        event_spool.append(entry)
    return len(kept)


def _spool_waiting_entries_at_exit() -> None:
    try:
        spool_waiting_entries()
    except Exception:  # at exit, nothing is left to tell
        return


atexit.register(_spool_waiting_entries_at_exit)


def enqueue(*, site_id: int, pageview: NewPageview, limits: EventLimits | None = None) -> bool:
    """Count one pageview against `limits` (if given) and queue it: in the stream, else in this process's spool;
    False when there is no queue at all (nothing counted then).

    A pageview without an id of its own gets a server-made one. Raises `TooManyEvents` or
    `TooManyNewVisitors` over a limit, `QueueFull` when the stream is at its bound, `SpoolFull`
    when the stream cannot take it and the spool is full. While the stream's Redis cannot count,
    the limits are counted in this process before the event is spooled.
    """
    if not queue_configured():
        return False
    if pageview.event_id is None:
        pageview = pageview._replace(event_id=new_event_id())
    entry = encode(site_id=site_id, pageview=pageview)
    client = queue_connection.client()
    if client is not None:
        try:
            queue_connection.add(client, entry, limits=limits, site_id=site_id, visitor_id=pageview.visitor_id)
        except RedisError as error:
            queue_connection.failed(error)
        else:
            if event_spool.pending():
                event_spool.replay_in_background(client, stream=STREAM, field=FIELD)
            return True
    if limits is not None and limits.take():
        limits.count_locally(site_id=site_id, visitor_id=pageview.visitor_id)
    event_spool.append(entry)
    return True
