"""What this process put in the stream lately, to put back if Redis comes back without it.

A Redis restarted without its append-only file, flushed, or one that evicted the
stream has lost every entry no worker had taken yet: accepted events, already answered
202. Each web process keeps the entries it appended during the last
`QUEUE_JOURNAL_SECONDS` (at most `QUEUE_JOURNAL_MAX_ENTRIES`) in memory. The stream's
Redis holds a marker key next to the stream; the append script finds it gone exactly
when Redis lost its data, and the first thread of each process to see that puts its
journal back into the stream. Entries carry ids of their own, stored with their
pageviews, so an entry written before the loss and put back is written once.

A process that exits (a restart, a worker recycled after `max_requests`) would take its
journal with it: at exit it moves the entries of its journal still waiting in the stream
to its spool (`analytics.event_spool`), which a living process replays, so they are
queued twice and written once. An entry older than the journal that was still waiting
when Redis lost its data (workers stopped for longer than that) is not covered.
"""

import threading
import time
from collections import deque

from django.conf import settings


class QueueJournal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[tuple[float, bytes, bytes]] = deque()

    def add(self, entries: list[bytes], *, ids: list[bytes]) -> None:
        """Note entries just appended, with the stream ids Redis gave them."""
        now = time.monotonic()
        with self._lock:
            self._entries.extend((now, entry_id, entry) for entry_id, entry in zip(ids, entries, strict=True))
            self._trim(now)

    def recent(self) -> list[bytes]:
        return [entry for _, entry in self.recent_with_ids()]

    def recent_with_ids(self) -> list[tuple[bytes, bytes]]:
        with self._lock:
            self._trim(time.monotonic())
            return [(entry_id, entry) for _, entry_id, entry in self._entries]

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def _trim(self, now: float) -> None:
        oldest = now - settings.QUEUE_JOURNAL_SECONDS
        limit = settings.QUEUE_JOURNAL_MAX_ENTRIES
        while self._entries and (self._entries[0][0] < oldest or len(self._entries) > limit):
            self._entries.popleft()


queue_journal = QueueJournal()
