"""The public API's per-client rate limit, at one cache round trip per request.

DRF's own throttles keep each client's request times as a list that is read and
written back on every request: two round trips and a pickle as long as the rate. Here a
client has one counter per fixed window of the rate's period; a client may make up to
the limit in each window, so at most twice the limit across a window boundary, which is
enough to slow token guessing down. If Redis cannot count, each process counts on its own.
"""

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from analytics.cache_counters import count_in_window
from analytics.client_ip import client_ip, client_network


class PublicStatsThrottle(SimpleRateThrottle):
    """Per-client rate limit; it also counts failed lookups, which slows token guessing."""

    scope = "public_stats"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = count_in_window(f"throttle:{self.scope}:{self.get_ident(request)}:{window}", seconds=self.duration)
        self.seconds_left = (window + 1) * self.duration - now
        return count is None or count <= self.num_requests

    def get_ident(self, request: Request) -> str:
        """The event endpoint's rule, not DRF's: a forwarded value that is not an IP address never becomes a key,
        and an IPv6 client is its /64."""
        return client_network(client_ip(request))

    def wait(self) -> float:
        return self.seconds_left
