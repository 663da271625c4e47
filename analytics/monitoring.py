"""The numbers an operator watches, in Prometheus's format (served at `/metrics` by `config.health`).

Counters and histograms are defined here once and incremented where the thing happens, one
line each. Under gunicorn every worker process has its own values: with
`PROMETHEUS_MULTIPROC_DIR` set (before the process starts), prometheus-client writes them to
files in that directory and `/metrics` adds up every process of the machine, the ingest and
block workers included when they share the directory.

What describes shared state rather than one process (the event stream's length, its pending
entries, how far the ingest workers are behind) is read from Redis when `/metrics` is asked,
so any web node gives the same answer and nothing is counted twice.
"""

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from analytics.event_queue import GROUP, STREAM
from analytics.read_replicas import replica_aliases, replica_lags

# Requests answered, by URL pattern (never the path itself: a share page's path holds its token).
HTTP_REQUESTS = Counter(
    "glimpse_http_requests", "Requests answered, by URL pattern, method and status", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "glimpse_http_request_duration_seconds",
    "Time from the first middleware to the response, by URL pattern",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# accepted: queued or written; dropped: accepted but not recorded (a bot, a foreign host); refused: an error answer.
EVENTS = Counter("glimpse_events", "Events sent to POST /api/event, by outcome", ["outcome"])
INGEST_BATCH_SECONDS = Histogram(
    "glimpse_ingest_batch_write_seconds",
    "Time an ingest worker took to write one batch of the event stream",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# hit: this process's own copy or the shared cache; miss: computed.
STATS_CACHE = Counter("glimpse_stats_cache_lookups", "Public statistics looked up in the cache, by result", ["result"])
USE_COUNT_FLUSHES = Counter(
    "glimpse_use_count_flushes", "Hand-overs of share token use counts to the database, by outcome", ["outcome"]
)


def stream_entry_age(entry_id: bytes | str | None, *, now: float) -> float:
    """Seconds since a stream entry was added: its id starts with Redis's clock in milliseconds."""
    if not entry_id:
        return 0.0
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return max(0.0, now - int(text.split("-")[0]) / 1000)


class EventStreamCollector(Collector):
    """The event stream as `/metrics` is asked: entries waiting, entries taken but not yet written, and ages.

    The ingest lag is the age of the oldest entry still in the stream: entries are deleted once
    written, so it is how long the oldest accepted event has waited for the database. Ages are
    measured on Redis's clock (`TIME`, in the same round trip), the one that stamped the ids: every
    node gives the same ages however far its own clock is off.
    """

    def collect(self):
        if not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
            return
        up = GaugeMetricFamily("glimpse_event_stream_up", "1 when the event stream's Redis answered this scrape")
        try:
            client = get_redis_connection(DEFAULT_CACHE_ALIAS)
            pipeline = client.pipeline(transaction=False)
            pipeline.xlen(STREAM)
            pipeline.xrange(STREAM, count=1)
            pipeline.xpending(STREAM, GROUP)
            pipeline.time()
            length, oldest, pending, redis_time = pipeline.execute(raise_on_error=False)
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        if isinstance(length, int):
            yield GaugeMetricFamily("glimpse_event_stream_length", "Events accepted and not yet written", value=length)
        now = redis_time[0] + redis_time[1] / 1_000_000 if isinstance(redis_time, tuple | list) else None
        if isinstance(oldest, list) and now is not None:
            yield GaugeMetricFamily(
                "glimpse_ingest_lag_seconds",
                "Age of the oldest event not yet written (0 when the stream is empty)",
                value=stream_entry_age(oldest[0][0] if oldest else None, now=now),
            )
        if isinstance(pending, dict):
            yield GaugeMetricFamily(
                "glimpse_event_stream_pending",
                "Events taken by an ingest worker, not yet written",
                value=pending["pending"],
            )
        if isinstance(pending, dict) and now is not None:
            yield GaugeMetricFamily(
                "glimpse_event_stream_oldest_pending_age_seconds",
                "Age of the oldest event taken by an ingest worker and not yet written",
                value=stream_entry_age(pending["min"], now=now),
            )


class ReplicaLagCollector(Collector):
    """Each read replica's lag as this process measures it (at most once a second); -1 when it does not answer."""

    def collect(self):
        aliases = replica_aliases()
        if not aliases:
            return
        lag = GaugeMetricFamily(
            "glimpse_replica_lag_seconds",
            "How far a read replica is behind the primary; -1: unreachable",
            labels=["replica"],
        )
        for alias in aliases:
            measured = replica_lags.lag(alias)
            lag.add_metric([alias], -1.0 if measured is None else measured)
        yield lag
