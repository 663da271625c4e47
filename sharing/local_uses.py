"""Uses of share tokens noted in this process, handed on to the database at most about once a second.

Writing every use to the token's row would cost a database write per request, more than
the token check itself. So each process notes uses in memory and hands them on in one
batch: at the first use after a second has passed since its last hand-over, one second
after a use that found no hand-over due (so the end of a burst does not wait for the next
request), and when the process exits. A hand-over that fails is given back and goes with
the next one. A process killed without warning loses only what it noted since its last
hand-over: about its last second of use counts.
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
            self._add(token_id, NotedUse(count=1, last_used_at=now))
            last = self._handed_at
            return last is None or not last <= now < last + HAND_OVER_EVERY

    def take(self, *, now: dt.datetime) -> dict[int, NotedUse]:
        """Everything noted so far, which is forgotten here: the caller hands it on."""
        with self._lock:
            noted, self._noted = self._noted, {}
            self._handed_at = now
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return noted

    def give_back(self, noted: dict[int, NotedUse]) -> None:
        """Note again what a failed hand-over took, so the next hand-over carries it."""
        with self._lock:
            for token_id, use in noted.items():
                self._add(token_id, NotedUse(count=use.count, last_used_at=use.last_used_at))

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

    def _add(self, token_id: int, use: NotedUse) -> None:
        noted = self._noted.get(token_id)
        if noted is None:
            self._noted[token_id] = use
        else:
            noted.count += use.count
            noted.last_used_at = max(noted.last_used_at, use.last_used_at)


local_uses = LocalUses()
