"""Uses of share tokens noted in this process, handed on to the cache at most about once a second.

Counting every use in Redis would cost a network round trip per request, as much as the
token check itself. So each process notes uses in memory and hands them on in one
batch: at the first use after a second has passed since its last hand-over, at the first
use of a new minute, one second after a use that found no hand-over due (so the end of
a burst does not wait for the next request), and when the process exits. A process
killed without warning loses at most its last second of use counts.
"""

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

HAND_OVER_EVERY = dt.timedelta(seconds=1)


@dataclass
class NotedUse:
    count: int
    last_used_at: dt.datetime


def same_minute(first: dt.datetime, second: dt.datetime) -> bool:
    return int(first.timestamp()) // 60 == int(second.timestamp()) // 60


class LocalUses:
    def __init__(self, *, hand_over_in_background: bool = True) -> None:
        self.hand_over_in_background = hand_over_in_background
        self._lock = threading.Lock()
        self._noted: dict[int, NotedUse] = {}
        self._handed_at: dt.datetime | None = None
        self._timer: threading.Timer | None = None

    def note(self, token_id: int, *, now: dt.datetime) -> bool:
        """Note one use of `token_id` at `now`; True when a hand-over is due."""
        with self._lock:
            use = self._noted.get(token_id)
            if use is None:
                self._noted[token_id] = NotedUse(count=1, last_used_at=now)
            else:
                use.count += 1
                use.last_used_at = max(use.last_used_at, now)
            last = self._handed_at
            return last is None or not last <= now < last + HAND_OVER_EVERY or not same_minute(last, now)

    def take(self, *, now: dt.datetime) -> dict[int, NotedUse]:
        """Everything noted so far, which is forgotten here: the caller hands it on."""
        with self._lock:
            noted, self._noted = self._noted, {}
            self._handed_at = now
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return noted

    def hand_over_later(self, hand_over: Callable[[], None]) -> None:
        """Run `hand_over` in a second from now unless a hand-over is already planned."""
        with self._lock:
            if self._timer is None and self.hand_over_in_background:
                self._timer = threading.Timer(HAND_OVER_EVERY.total_seconds(), hand_over)
                self._timer.daemon = True
                self._timer.start()

    def forget(self) -> None:
        """Drop every note and planned hand-over (tests start from a clean process state)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._noted, self._handed_at, self._timer = {}, None, None


local_uses = LocalUses()
