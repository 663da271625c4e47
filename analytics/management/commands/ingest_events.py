import gc
import logging
import os
import socket
import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError

from analytics.ingest_worker import (
    BATCH_SIZE,
    GATHER_MS,
    drain_once,
    ensure_group,
    gather_pause,
    report_queue_length,
)
from analytics.queue_checks import check_queue_durability
from analytics.queue_redis import worker_client
from config.logging_filters import one_line

logger = logging.getLogger("glimpse.ingest")

RETRY_AFTER_SECONDS = 1.0
REPORT_EVERY_SECONDS = 60.0


class Command(BaseCommand):
    help = (
        "Write queued pageviews to the database in batches (the Procfile's ingest worker). Needs REDIS_URL (or "
        "QUEUE_REDIS_URL): without Redis, events are written as they arrive and there is nothing to do."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=BATCH_SIZE, help=f"pageviews per batch at most (default {BATCH_SIZE})"
        )
        parser.add_argument("--block-ms", type=int, default=1000, help="how long to wait for new events (ms)")
        parser.add_argument(
            "--gather-ms",
            type=int,
            default=GATHER_MS,
            help=f"after a batch that emptied the stream, wait until this long since it was read (default {GATHER_MS})",
        )
        parser.add_argument("--once", action="store_true", help="write what is queued now, then stop")

    def handle(self, *args, **options) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch needs a positive number.")
        client = worker_client(block_ms=options["block_ms"])
        if client is None:
            raise CommandError(
                "No event queue: set REDIS_URL or QUEUE_REDIS_URL (without it, events are written as they arrive)."
            )
        try:
            check_queue_durability()
        except ImproperlyConfigured as refusal:
            raise CommandError(str(refusal)) from None
        consumer = f"{socket.gethostname()}-{os.getpid()}"
        try:
            ensure_group(client)
        except RedisError as error:
            # Redis is not there yet: the loop retries, and recreates the group when it finds it missing.
            logger.warning("Event queue unreachable at start, retrying: %s", error)
        # The loaded app is never garbage: without this, the collector's full passes, which a batch of
        # thousands of new objects sets off, walk all of it (a fifth of a worker's CPU time).
        gc.freeze()
        reported_at = 0.0
        while True:
            if time.monotonic() - reported_at >= REPORT_EVERY_SECONDS:
                reported_at = time.monotonic()
                report_queue_length(client)
            started = time.monotonic()
            try:
                result = drain_once(client, consumer=consumer, size=options["batch"], block_ms=options["block_ms"])
            except (DatabaseError, RedisError) as error:
                # The entries stay in the stream, taken by this worker: the next round retries them.
                logger.warning("Ingest batch failed, retrying in %.0f s: %s", RETRY_AFTER_SECONDS, one_line(error))
                close_old_connections()
                time.sleep(RETRY_AFTER_SECONDS)
                continue
            if options["once"] and result.taken == 0:
                return
            if result.taken:
                logger.info("Wrote %d of %d queued pageviews", result.written, result.taken)
            if not options["once"]:
                pause = gather_pause(
                    taken=result.taken,
                    size=options["batch"],
                    elapsed=time.monotonic() - started,
                    gather_seconds=options["gather_ms"] / 1000,
                )
                if pause:
                    time.sleep(pause)
