"""Which hosts may report pageviews to a site: anyone can post an event naming any domain.

A site's `allowed_hostnames` lists hosts, one per line or comma-separated, in the form
`normalize_domain` gives them (lowercase, no `www.`, no port). `*.example.com` stands
for every subdomain of example.com at any depth, but not example.com itself. An empty
list means the site's domain and its subdomains, nothing else: a page on `localhost`,
`127.0.0.1` or `[::1]` is anyone's machine, and admitting those by default let anybody
post any path under any site's name. An explicit list allows exactly what it names, so
an owner testing the snippet locally lists those names next to the domain. Hosts are
compared as the page URL names them, so internationalised names are written in their
`xn--` form, as browsers send them.
"""

import re

import idna

from analytics.domains import normalize_domain

WILDCARD = "*."
SEPARATORS = re.compile(r"[\s,]+")
HOSTNAME = re.compile(r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*")


class InvalidHostname(ValueError):
    """An entry of an allow-list that is not a host name."""


def parse_allowed_hostnames(text: str) -> list[str]:
    """The list's entries normalised, in order, without repeats; raises `InvalidHostname` naming a bad one."""
    entries: list[str] = []
    for raw in SEPARATORS.split(text.strip()):
        if not raw:
            continue
        wildcard = raw.startswith(WILDCARD)
        host = raw[len(WILDCARD) :] if wildcard else raw
        # `normalize_domain` would turn `www.example.com` into `example.com`, but `*.www.example.com` stays literal.
        host = normalize_domain(host) if not wildcard else host.strip().lower().rstrip(".")
        if not HOSTNAME.fullmatch(host):
            raise InvalidHostname(raw)
        entry = WILDCARD + host if wildcard else host
        if entry not in entries:
            entries.append(entry)
    return entries


def site_domain(text: str) -> str:
    """What an owner typed as a site's domain, as stored: normalised, in its `xn--` form; else `InvalidHostname`.

    The domain reaches HTTP headers (a CSV's file name), log lines and the tracking snippet,
    so only a host name is accepted: letters, digits, hyphens and dots, an international
    name encoded as browsers send it (IDNA), never a quote, a space or a control character.
    """
    stripped = (text or "").strip()
    if not stripped or not stripped.isprintable() or any(character in stripped for character in "\"'<>\\;"):
        raise InvalidHostname(stripped)
    host = normalize_domain(stripped)
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise InvalidHostname(stripped) from None
    if not HOSTNAME.fullmatch(host) or "." not in host:
        raise InvalidHostname(stripped)
    return host


def host_is_allowed(*, host: str, site_domain: str, allowed_hostnames: str) -> bool:
    """Whether a page on `host` (as `normalize_domain` gives it) may report to the site.

    An allow-list that does not parse (edited outside the admin) counts as empty, the
    default, rather than failing every event.
    """
    try:
        entries = parse_allowed_hostnames(allowed_hostnames)
    except InvalidHostname:
        entries = []
    for entry in entries or [site_domain, WILDCARD + site_domain]:
        if entry.startswith(WILDCARD):
            if host.endswith("." + entry[len(WILDCARD) :]):
                return True
        elif host == entry:
            return True
    return False
