"""A per-site cap on new visitors per minute from one network, so one sender cannot fake a crowd.

A visitor id is a hash of the address and user agent, so a sender within its event
limit can still be a new "visitor" on every event by changing its user agent (300
distinct visitors in 1.8 s from one address were measured). Per site, one network (an
IPv4 address or an IPv6 /64, `analytics.client_ip.client_network`) may bring at most
`NEW_VISITORS_PER_NETWORK` distinct visitors per window; a visitor already admitted in
the window is always let through. The window is a fixed one, as the rate limits'. The
cap sits above what a busy office behind one NAT address brings in a minute.
"""

import math

from django.conf import settings

from analytics.cache_counters import admit_to_set
from analytics.rate_limit import parse_rate


class TooManyNewVisitors(Exception):
    """This network brought the site as many new visitors as it may in this window."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"retry in {wait} s")
        self.wait = wait


def admit_visitor(*, site_id: int, network: str, visitor_id: int, now: float) -> None:
    """Raise `TooManyNewVisitors` when `visitor_id` would be one new visitor too many for this network and site."""
    rate = parse_rate(settings.NEW_VISITORS_PER_NETWORK)
    if rate is None:
        return
    window = int(now // rate.seconds)
    key = f"visitors:{site_id}:{network}:{window}"
    if not admit_to_set(key, str(visitor_id), limit=rate.limit, seconds=rate.seconds * 2):
        raise TooManyNewVisitors(max(1, math.ceil((window + 1) * rate.seconds - now)))
