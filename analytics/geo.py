"""The visitor's country, from an offline IP database or a header set by a trusted proxy."""

import ipaddress
from functools import cache

import iptocc
from django.conf import settings
from django.http import HttpRequest
from django_countries import countries

UNKNOWN = ""
# A country code is two letters; Cloudflare's header has no spaces. Anything longer is not looked at.
HEADER_MAX_LENGTH = 8


def trusted_country_header(request: HttpRequest) -> str:
    """The country a known proxy (e.g. Cloudflare's `CF-IPCountry`) put on the request.

    Off unless `TRUSTED_COUNTRY_HEADER` names the header: anyone can send it, so it
    is only meaningful when a proxy in front of the app overwrites it.
    """
    if not settings.TRUSTED_COUNTRY_HEADER:
        return ""
    return request.headers.get(settings.TRUSTED_COUNTRY_HEADER, "")


def country_code(*, ip: str, header_country: str = "") -> str:
    """An ISO 3166-1 alpha-2 code, or empty when unknown (private ranges, `XX`, Tor's `T1`, `EU`, …)."""
    candidate = header_country.strip().upper() if len(header_country) <= HEADER_MAX_LENGTH else ""
    if candidate in country_codes():
        return candidate
    found = iptocc.country_code(unmapped(ip)) if ip else None
    return found if found in country_codes() else UNKNOWN


@cache
def country_codes() -> frozenset[str]:
    """The codes `django_countries` knows, as a set: asking it per event cost more than the IP lookup."""
    return frozenset(code for code, _ in countries)


def unmapped(ip: str) -> str:
    """`::ffff:81.2.69.142` (how dual-stack servers report IPv4 clients) as plain IPv4, which iptocc expects."""
    if ":" not in ip:
        return ip
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped) if mapped else ip
