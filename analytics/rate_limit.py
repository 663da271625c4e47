"""A per-client rate limit at one cache round trip: a counter per client and fixed window.

A client may make up to the limit in each window, so at most twice the limit across a
window boundary. If Redis cannot count (unreachable, or full), each process counts on
its own (`analytics.cache_counters`): the limit stays on.
"""

import math
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from analytics.cache_counters import count_in_window

# As DRF writes rates: `600/min`, `10/s`, `5000/hour`, `100000/day` (the period's first letter counts).
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


def parse_rate(text: str) -> Rate | None:
    """`600/min` as a `Rate`; None when `text` is empty, which switches the limit off."""
    if not text:
        return None
    count, _, period = text.partition("/")
    try:
        return Rate(limit=int(count), seconds=PERIOD_SECONDS[period.strip()[:1].lower()])
    except (ValueError, KeyError):
        raise ImproperlyConfigured(f"{text!r} is not a rate such as 600/min") from None


def seconds_to_wait(*, scope: str, client: str, rate: Rate, now: float) -> int | None:
    """Count one request of `client`; None if it is within `rate`, else the whole seconds until the next window."""
    window = int(now // rate.seconds)
    count = count_in_window(f"rate:{scope}:{client}:{window}", seconds=rate.seconds)
    if count is None or count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))
