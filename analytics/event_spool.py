"""Where an accepted event waits while the queue's Redis is away: a bounded file per process on local disk.

Writing to the database instead would starve every reader of the same processes (17 to 22
events/s written against hundreds offered, the cached API down to 2 req/s), so an event
the stream cannot take is appended, as its stream entry, to this process's spool file
under `EVENT_SPOOL_DIR`. A spool at `EVENT_SPOOL_MAX_BYTES` takes nothing more: the
event is refused with a 503 (`SpoolFull`), never dropped in silence.

Each event carries an id of its own (`q:` and 24 random hex digits, `new_event_id`),
stored as its pageview's `event_id` (unique), so an event replayed twice — a process
killed in the middle of a replay — is written once. When the stream takes events again, the
process replays its own spool in the background, and any spool left by a process that
died: a process holds an exclusive `flock` on its file while it lives, so a file that can
be locked has no living owner. A line is in the page cache once `write` returns: a killed
process loses nothing; a machine that loses power may lose the last lines not yet on disk.
"""

import fcntl
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError

from analytics.queue_journal import queue_journal
from analytics.unavailable import EventsUnavailable

logger = logging.getLogger("glimpse.ingest")

REPLAY_BATCH = 500  # entries per XADD pipeline
SCAN_EVERY = 30.0  # seconds between looks for spools a dead process left
SUFFIX = ".spool"


class SpoolFull(EventsUnavailable):
    """This process's spool is at `EVENT_SPOOL_MAX_BYTES`: the event is refused, to be sent again."""


def new_event_id() -> str:
    """An event's own id, stored as its pageview's `event_id`: 96 random bits, unique for all practical purposes."""
    return f"q:{secrets.token_hex(12)}"


class EventSpool:
    """This process's spool file, opened on the first event the stream could not take."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._pid: int | None = None
        self._replaying = False
        self._scanned_at: float | None = None

    def append(self, entry: bytes) -> None:
        """Append one stream entry (its payload, one line); raises `SpoolFull` at the bound."""
        line = entry + b"\n"
        with self._lock:
            self._open()
            if self._size + len(line) > settings.EVENT_SPOOL_MAX_BYTES:
                raise SpoolFull(str(self._path))
            os.write(self._file, line)
            self._size += len(line)

    def pending(self) -> bool:
        """Whether this process spooled events not yet replayed, or it is time to look for a dead process's spool."""
        # Read without the lock: called on every accepted event, while a replay may hold the lock for long.
        if self._replaying:
            return False
        if self._size:
            return True
        scanned_at = self._scanned_at
        return scanned_at is None or time.monotonic() - scanned_at >= SCAN_EVERY

    def replay_in_background(self, client: Redis, *, stream: str, field: bytes) -> None:
        with self._lock:
            if self._replaying:
                return
            self._replaying = True
        threading.Thread(
            target=self.replay, args=(client,), kwargs={"stream": stream, "field": field}, daemon=True
        ).start()

    def replay(self, client: Redis, *, stream: str, field: bytes) -> int:
        """Append every spooled entry (this process's, then dead processes') to the stream; returns how many."""
        replayed = 0
        try:
            with self._lock:
                self._replaying = True
                self._scanned_at = time.monotonic()
                if self._size:
                    replayed += replay_file(self._file, client, stream=stream, field=field)
                    os.ftruncate(self._file, 0)
                    self._size = 0
            for path in sorted(spool_directory().glob(f"*{SUFFIX}")):
                if path != self._path:
                    replayed += replay_orphan(path, client, stream=stream, field=field)
        except (RedisError, OSError) as error:
            logger.warning("Replaying spooled events stopped, to be tried again: %s", error)
        finally:
            with self._lock:
                self._replaying = False
        if replayed:
            logger.warning("Replayed %d spooled events into the queue", replayed)
        return replayed

    def _open(self) -> None:
        """Open (or, in a forked child, reopen) this process's own file, holding its lock for as long as it lives."""
        if self._file is not None and self._pid == os.getpid():
            return
        directory = spool_directory()
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._file = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._size = 0
        self._pid = os.getpid()

    def close(self) -> None:
        """Forget this process's file (tests); a file with lines left is replayed as a dead process's."""
        with self._lock:
            if self._file is not None and self._pid == os.getpid():
                os.close(self._file)
            self._file = self._path = self._pid = None
            self._size = 0
            self._replaying = False
            self._scanned_at = None


def spool_directory() -> Path:
    return Path(settings.EVENT_SPOOL_DIR)


def replay_file(descriptor: int, client: Redis, *, stream: str, field: bytes) -> int:
    """XADD every line of the open file, in pipelines of `REPLAY_BATCH`; the file stays as it is."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    with os.fdopen(os.dup(descriptor), "rb") as lines:
        batch: list[bytes] = []
        count = 0
        for line in lines:
            if line.endswith(b"\n"):  # a line cut short by a crash mid-write is no event
                batch.append(line[:-1])
            if len(batch) == REPLAY_BATCH:
                count += add_entries(client, batch, stream=stream, field=field)
                batch = []
        return count + add_entries(client, batch, stream=stream, field=field)


def add_entries(client: Redis, entries: list[bytes], *, stream: str, field: bytes) -> int:
    if not entries:
        return 0
    pipeline = client.pipeline(transaction=False)
    for entry in entries:
        pipeline.xadd(stream, {field: entry})
    queue_journal.add(entries, ids=pipeline.execute())
    return len(entries)


def replay_orphan(path: Path, client: Redis, *, stream: str, field: bytes) -> int:
    """Replay and delete a spool whose owner is gone (its lock can be taken); a living owner's is left alone."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        if not path.exists():  # another process replayed and deleted it after this one opened it
            return 0
        count = replay_file(descriptor, client, stream=stream, field=field)
        path.unlink()
        return count
    finally:
        os.close(descriptor)


event_spool = EventSpool()
