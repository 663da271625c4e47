"""The limits one event is counted against, and where they are counted.

Two limits apply to `POST /api/event`: the client's event rate (`EVENT_RATE`, per IPv4
address or IPv6 /64, `analytics.client_ip.client_network`) and, per site, how many new
visitors the client's network may bring (`NEW_VISITORS_PER_NETWORK`,
`analytics.new_visitors`). Both are fixed windows.

With a queue, both are counted in the queue's Redis by the very script that appends the
event (`analytics.event_queue`), so an accepted event costs one round trip. An event that
ends before the queue (malformed, for an unknown site, from a bot, on a host the site does
not allow, blocked) is counted against the rate alone, in the same counter, so every
request counts and a client over its limit is told 429 whatever it sent. Without a queue,
both are counted in the cache, as the other limits are. When Redis cannot count
(unreachable, or refusing writes at its `maxmemory`), each process counts on its own
(`analytics.cache_counters`): the limits never switch off.

A process that has told a client it is over its rate remembers that client's window, and
refuses its further requests in that window at once, before reading their bodies and
without asking Redis: a flood from one client costs a set lookup per request.
"""

import functools
import math
import threading
from dataclasses import dataclass

from django.conf import settings

from analytics.cache_counters import admit_locally, count_locally
from analytics.new_visitors import TooManyNewVisitors, admit_visitor
from analytics.rate_limit import Rate, parse_rate, seconds_to_wait

RATE_KEY = "glimpse:rate:event:{network}:{window}"
VISITORS_KEY = "glimpse:visitors:{site_id}:{network}:{window}"
# Windows (their rate keys) in which this process saw a client go over its rate; past this many, the old ones go.
OVER_RATE_LIMIT = 10_000
_over_rate_lock = threading.Lock()
_over_rate: set[str] = set()


class TooManyEvents(Exception):
    """The client sent as many events as `EVENT_RATE` allows in this window."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"retry in {wait} s")
        self.wait = wait


@functools.lru_cache(maxsize=8)
def cached_rate(text: str) -> Rate | None:
    """`parse_rate`, once per setting value rather than twice per event."""
    return parse_rate(text)


@dataclass(frozen=True)
class Window:
    """One fixed window of a rate: the key counting in it, the limit, the rate's period and the whole seconds until
    the next window."""

    key: str
    limit: int
    seconds: int
    wait: int


def window(rate: Rate, *, key: str, now: float, **fields: object) -> Window:
    number = int(now // rate.seconds)
    return Window(
        key=key.format(window=number, **fields),
        limit=rate.limit,
        seconds=rate.seconds,
        wait=max(1, math.ceil((number + 1) * rate.seconds - now)),
    )


class EventLimits:
    """The limits of one event from `network` at `now` (epoch seconds); counted once, by the append or on its own."""

    def __init__(self, *, network: str, now: float) -> None:
        self.network = network
        self.now = now
        self.rate = cached_rate(settings.EVENT_RATE)
        self.new_visitors = cached_rate(settings.NEW_VISITORS_PER_NETWORK)
        self.counted = False
        self._rate_window = window(self.rate, key=RATE_KEY, now=now, network=network) if self.rate is not None else None

    def rate_window(self) -> Window | None:
        return self._rate_window

    def refuse_if_known_over_rate(self) -> None:
        """Raise `TooManyEvents` when this process already told the client it is over its rate in this window."""
        rate = self._rate_window
        if rate is not None and rate.key in _over_rate:
            self.counted = True
            raise TooManyEvents(rate.wait)

    def over_rate(self) -> TooManyEvents:
        """The refusal of an event over the rate (to raise), remembered for the rest of the window."""
        rate = self._rate_window
        with _over_rate_lock:
            if len(_over_rate) >= OVER_RATE_LIMIT:
                _over_rate.clear()
            _over_rate.add(rate.key)
        return TooManyEvents(rate.wait)

    def visitors_window(self, *, site_id: int) -> Window | None:
        if self.new_visitors is None:
            return None
        return window(self.new_visitors, key=VISITORS_KEY, now=self.now, site_id=site_id, network=self.network)

    def take(self) -> bool:
        """Whether this event still has to be counted; marks it counted (each event is counted once)."""
        if self.counted:
            return False
        self.counted = True
        return True

    def count_rate_in_cache(self) -> None:
        """Without a queue: count the event against the rate in the cache; raises `TooManyEvents` over it."""
        if not self.take() or self.rate is None:
            return
        if seconds_to_wait(scope="event", client=self.network, rate=self.rate, now=self.now) is not None:
            raise self.over_rate()

    def admit_visitor_in_cache(self, *, site_id: int, visitor_id: int) -> None:
        """Without a queue: the rate, then the new-visitor cap, each counted in the cache."""
        self.count_rate_in_cache()
        admit_visitor(site_id=site_id, network=self.network, visitor_id=visitor_id, now=self.now)

    def count_locally(self, *, site_id: int | None = None, visitor_id: int = 0) -> None:
        """Count in this process what the queue's Redis cannot: the rate, and the new visitor when there is one.

        Raises as the append script would answer: `TooManyEvents`, then `TooManyNewVisitors`.
        """
        self.counted = True
        rate = self.rate_window()
        if rate is not None and count_locally(rate.key) > rate.limit:
            raise self.over_rate()
        visitors = self.visitors_window(site_id=site_id) if site_id is not None else None
        if visitors is not None and not admit_locally(visitors.key, str(visitor_id), limit=visitors.limit):
            raise TooManyNewVisitors(visitors.wait)


def forget_over_rate() -> None:
    with _over_rate_lock:
        _over_rate.clear()
