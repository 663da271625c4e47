"""Which address a request came from, trusting `X-Forwarded-For` only as far as our own proxies."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client address: the one rule behind the visitor hash, the country lookup and both rate limits.

    Each trusted proxy appends the address it saw to `X-Forwarded-For`, so with N
    proxies the client is the N-th entry from the right. Anything further left was
    written by the client itself and could be forged, which is why a header is
    ignored entirely when no proxy is configured. The entry counts only when it is an
    IP address (written in its canonical form); anything else, an empty header
    included, falls back to the peer address, so no client-chosen text ever becomes
    a rate-limit key. Only the last N entries are looked at, however long the header.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    num_proxies = settings.NUM_PROXIES
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    entries = forwarded_for.rsplit(",", num_proxies)
    return ip_address_or_none(entries[-min(num_proxies, len(entries))]) or remote_addr


def ip_address_or_none(text: str) -> str | None:
    """The address in canonical form, or None; an IPv6 zone (`fe80::1%eth0`) is refused, its text being free-form."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if getattr(address, "scope_id", None):
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    # Spelled as dual-stack servers report it, on every Python (3.13 changed how `str` writes it).
    return f"::ffff:{mapped}" if mapped else str(address)


IPV6_CLIENT_PREFIX = 64


def client_network(ip: str) -> str:
    """What a rate limit counts as one client: an IPv4 address, or the /64 an IPv6 address belongs to.

    One IPv6 subscriber gets at least a /64 (2^64 addresses): counted per address, one
    sender would have more identities than any limit could matter for. An IPv4-mapped
    address counts as its IPv4 address; text that is no address stays as it is (it is
    a `client_ip` result, so only a test's or a socket's odd peer).
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
