"""Which address a request came from, trusting `X-Forwarded-For` only as far as our own proxies."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client address under the same rule DRF's throttles use (`NUM_PROXIES`).

    Each trusted proxy appends the address it saw to `X-Forwarded-For`, so with N
    proxies the client is the N-th entry from the right. Anything further left was
    written by the client itself and could be forged, which is why a header is
    ignored entirely when no proxy is configured.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    num_proxies = settings.NUM_PROXIES
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = forwarded_for.split(",")
    return addresses[-min(num_proxies, len(addresses))].strip()
