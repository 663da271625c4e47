"""Sites by domain, remembered in each process for a minute so an event costs no site query.

An edit to a site (its allowed hosts) reaches the event endpoint within `REMEMBER_FOR`.
Unknown domains are remembered too, so a flood of events for made-up domains costs one
query per domain a minute; the memory is bounded and starts afresh when full.
"""

import datetime as dt
import threading

from analytics.models import Site

REMEMBER_FOR = dt.timedelta(seconds=60)
REMEMBERED_LIMIT = 10_000

_lock = threading.Lock()
_remembered: dict[str, tuple[Site | None, dt.datetime]] = {}


def site_for_domain(domain: str, *, now: dt.datetime) -> Site | None:
    with _lock:
        known = _remembered.get(domain)
    if known is not None and now < known[1]:
        return known[0]
    site = Site.objects.filter(domain=domain).first()
    with _lock:
        if len(_remembered) >= REMEMBERED_LIMIT:
            _remembered.clear()
        _remembered[domain] = (site, now + REMEMBER_FOR)
    return site


def forget_sites() -> None:
    with _lock:
        _remembered.clear()
