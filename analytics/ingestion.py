"""Turning a tracked pageview into stored data: who (anonymously), from where, on what."""

import datetime as dt
from dataclasses import dataclass

from analytics.blocklists import is_blocked
from analytics.client_ip import client_network
from analytics.domains import normalize_domain
from analytics.drop_counts import count_dropped_event
from analytics.event_limits import EventLimits
from analytics.event_queue import enqueue, queue_connection
from analytics.events import PageviewEvent
from analytics.geo import country_code
from analytics.hostnames import host_is_allowed
from analytics.known_sites import site_for_domain
from analytics.paths import page_path
from analytics.queue_redis import queue_configured
from analytics.salts import salt_for
from analytics.services import NewPageview, record_pageviews
from analytics.sources import session_source
from analytics.user_agents import device_type_for_width, user_agent_traits
from analytics.visitors import visitor_id


class UnknownSite(LookupError):
    """No site is registered for the event's domain."""


@dataclass(frozen=True)
class Client:
    """What the request says about its sender. Used for one event, never stored."""

    ip: str
    user_agent: str
    header_country: str = ""


def ingest_pageview(
    *, event: PageviewEvent, client: Client, now: dt.datetime, limits: EventLimits | None = None
) -> NewPageview | None:
    """Accept one pageview for the event's site: queue it, or write it at once without a queue.

    Nothing is recorded for a bot, a page on a host the site does not allow, or spam (a
    listed referrer spammer, a source or path the owner blocked: `analytics.blocklists`);
    all are still accepted, so a script on a copied page never errors. A pageview to keep is
    counted against `limits` (by default, those of the client's network now; `analytics.event_limits`):
    a client over its rate (`TooManyEvents`) or a network bringing the site too many new visitors
    in a minute (`TooManyNewVisitors`) is refused; an event that ends before that is left for the
    caller to count (`count_event_rate`), but for a foreign-host drop, counted here before the drop.
    The event's own id (`PageviewEvent.event_id`), scoped to the site, becomes the stored pageview's,
    so a retried event is stored once. The host check comes first, so the owner sees every event that
    named a foreign page, bot or not. The visitor id uses the salt of the site's *local* date, so it
    changes at the site's midnight and a visitor never spans two of its days.
    """
    site = site_for_domain(normalize_domain(event.domain), now=now)
    if site is None:
        raise UnknownSite(event.domain)
    if limits is None:
        limits = EventLimits(network=client_network(client.ip), now=now.timestamp())
    if not host_is_allowed(
        host=normalize_domain(event.url), site_domain=site.domain, allowed_hostnames=site.allowed_hostnames
    ):
        # Counted against the rate first: an event refused over it (429) is no drop, so nobody inflates the
        # site's count faster than the limit lets them send.
        count_event_rate(limits)
        count_dropped_event(site_id=site.pk, now=now)
        return None
    traits = user_agent_traits(client.user_agent)
    if traits.bot:
        return None
    path = page_path(event.url)
    source = session_source(url=event.url, referrer=event.referrer, site_domain=site.domain)
    if is_blocked(source=source, path=path, blocked_sources=site.blocked_sources, blocked_paths=site.blocked_paths):
        return None
    salt = salt_for(day=now.astimezone(site.tzinfo).date(), now=now)
    visitor = visitor_id(salt=salt, site_id=site.pk, ip=client.ip, user_agent=client.user_agent)
    pageview = NewPageview(
        timestamp=now,
        visitor_id=visitor,
        path=path,
        source=source,
        device_type=device_type_for_width(event.width) or traits.device_type,
        browser=traits.browser,
        country=country_code(ip=client.ip, header_country=client.header_country),
        event_id=site_event_id(site_id=site.pk, key=event.event_id),
    )
    if not enqueue(site_id=site.pk, pageview=pageview, limits=limits):
        limits.admit_visitor_in_cache(site_id=site.pk, visitor_id=visitor)
        record_pageviews(site=site, pageviews=[pageview])
    return pageview


def site_event_id(*, site_id: int, key: str | None) -> str | None:
    """The stored id of an event the tracker named: its key within its site, so no sender can claim (and so
    suppress) another site's events. Distinct from the server-made ids (`q:…`, `analytics.event_spool`)."""
    return f"k:{site_id}:{key}" if key else None


def count_event_rate(limits: EventLimits) -> None:
    """Count an event that ended before the queue (or was dropped) against its client's rate, where the queue's
    script counts it; raises `TooManyEvents` over it. An event counted already is not counted again."""
    if queue_configured():
        queue_connection.count_rate(limits)
    else:
        limits.count_rate_in_cache()
