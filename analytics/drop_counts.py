"""How many events each site refused for naming a page on a host it does not allow, counted cheaply.

Anyone can post such events, so a drop must cost less than an accepted event: a process
adds drops up in memory and writes them at most once per `FLUSH_EVERY` seconds, one
UPDATE per site with drops (adding in the database, so processes never overwrite each
other's counts). Drops are counted only after the per-client rate limit, so a sender
inflates a count no faster than it may send events. While the database is away the
counts wait in memory and go with the next write; a process writes its counts when it
exits, so only one killed with `kill -9` loses them (at most its last interval's).
"""

import atexit
import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import F

from analytics.models import Site

FLUSH_EVERY = 10.0  # seconds


@dataclass
class Pending:
    count: int
    last_at: dt.datetime


_lock = threading.Lock()
_pending: dict[int, Pending] = {}
_flushed_at: float | None = None


def count_dropped_event(*, site_id: int, now: dt.datetime) -> None:
    """Add one drop of `site_id`; writes the process's pending drops when the last write is `FLUSH_EVERY` old."""
    global _flushed_at
    with _lock:
        pending = _pending.get(site_id)
        if pending is None:
            _pending[site_id] = Pending(count=1, last_at=now)
        else:
            pending.count += 1
            pending.last_at = max(pending.last_at, now)
        moment = time.monotonic()
        due = _flushed_at is None or moment - _flushed_at >= FLUSH_EVERY
        if due:
            _flushed_at = moment
    if due:
        write_dropped_events()


def write_dropped_events() -> int:
    """Write every pending drop, one UPDATE per site; on a database error they stay pending. Returns sites written."""
    with _lock:
        taken = dict(_pending)
        _pending.clear()
    written = 0
    for site_id, pending in sorted(taken.items()):
        try:
            add_drops(site_id=site_id, count=pending.count, last_at=pending.last_at)
        except DatabaseError:
            with _lock:
                for left_id, left in taken.items():
                    if left_id >= site_id:
                        keep_pending(left_id, left)
            return written
        written += 1
    return written


def add_drops(*, site_id: int, count: int, last_at: dt.datetime) -> None:
    """One UPDATE adding `count` in the database, so concurrent writers never overwrite each other's count."""
    Site.objects.filter(pk=site_id).update(dropped_events=F("dropped_events") + count, last_dropped_at=last_at)


def keep_pending(site_id: int, pending: Pending) -> None:
    current = _pending.get(site_id)
    if current is None:
        _pending[site_id] = pending
    else:
        current.count += pending.count
        current.last_at = max(current.last_at, pending.last_at)


def _write_at_exit() -> None:
    try:
        write_dropped_events()
    except Exception:  # at exit, nothing is left to tell
        return


atexit.register(_write_at_exit)


def forget_dropped_events() -> None:
    global _flushed_at
    with _lock:
        _pending.clear()
        _flushed_at = None
