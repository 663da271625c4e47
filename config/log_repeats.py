"""How often each kind of warning was logged lately: what turns an outage into a few log lines.

When PostgreSQL or Redis goes away, every request fails the same way. Logging each one
(with a traceback) wrote megabytes a second, buried the first, useful line and filled
disks. So the first record of a kind goes through in full; the ones that follow within
an interval are only counted; the first one after the interval goes through as one line
carrying that count. The state is process-wide, like the logging configuration it
serves: `repeats.forget()` clears it, and an interval of 0 switches counting off.
"""

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_INTERVAL_SECONDS = 60
# A kind is keyed by a message template; code that logs preformatted text makes a new kind
# per line. Past this many kinds, windows that are over are dropped, then new kinds go
# through uncounted, so the ledger stays small whatever is logged.
MAX_KINDS = 1_000


@dataclass
class Window:
    started: float
    held_back: int = 0


@dataclass(frozen=True)
class Verdict:
    """`log` is False for a record to hold back; `held_back`/`seconds` describe the window it closes."""

    log: bool
    held_back: int = 0
    seconds: float = 0.0

    @property
    def is_summary(self) -> bool:
        return self.log and self.held_back > 0


LOG_IN_FULL = Verdict(log=True)
HOLD_BACK = Verdict(log=False)


class RepeatLedger:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._windows: dict[Hashable, Window] = {}
        self._lock = threading.Lock()

    def note(self, kind: Hashable, *, interval: float) -> Verdict:
        """Count one record of `kind` and say whether, and how, it is logged."""
        now = self.clock()
        with self._lock:
            window = self._windows.get(kind)
            if window is None:
                if len(self._windows) >= MAX_KINDS and not self._make_room(now=now, interval=interval):
                    return LOG_IN_FULL
                self._windows[kind] = Window(started=now)
                return LOG_IN_FULL
            elapsed = now - window.started
            if elapsed < interval:
                window.held_back += 1
                return HOLD_BACK
            held_back = window.held_back
            self._windows[kind] = Window(started=now)
            # After a quiet interval a record is news again and goes through in full.
            return Verdict(log=True, held_back=held_back, seconds=elapsed) if held_back else LOG_IN_FULL

    def forget(self) -> None:
        with self._lock:
            self._windows.clear()

    def _make_room(self, *, now: float, interval: float) -> bool:
        for kind in [kind for kind, window in self._windows.items() if now - window.started >= interval]:
            del self._windows[kind]
        return len(self._windows) < MAX_KINDS


repeats = RepeatLedger()
