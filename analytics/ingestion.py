"""Turning a tracked pageview into stored data: who (anonymously), from where, on what."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from analytics.domains import normalize_domain
from analytics.events import PageviewEvent
from analytics.geo import country_code
from analytics.models import Pageview, Site
from analytics.salts import salt_for
from analytics.services import record_pageview
from analytics.sources import session_source
from analytics.user_agents import browser_family, device_type, is_bot
from analytics.visitors import visitor_id


class UnknownSite(LookupError):
    """No site is registered for the event's domain."""


@dataclass(frozen=True)
class Client:
    """What the request says about its sender. Used for one event, never stored."""

    ip: str
    user_agent: str
    header_country: str = ""


def ingest_pageview(*, event: PageviewEvent, client: Client, now: dt.datetime) -> Pageview | None:
    """Record one pageview for the event's site, or nothing for a bot (which still gets accepted).

    The visitor id uses the salt of the site's *local* date, so it changes at the
    site's midnight and a visitor never spans two of its days.
    """
    site = Site.objects.filter(domain=normalize_domain(event.domain)).first()
    if site is None:
        raise UnknownSite(event.domain)
    if is_bot(client.user_agent):
        return None
    salt = salt_for(day=now.astimezone(site.tzinfo).date(), now=now)
    return record_pageview(
        site=site,
        timestamp=now,
        visitor_id=visitor_id(salt=salt, site_id=site.pk, ip=client.ip, user_agent=client.user_agent),
        path=page_path(event.url),
        source=session_source(url=event.url, referrer=event.referrer, site_domain=site.domain),
        device_type=device_type(width=event.width, user_agent=client.user_agent),
        browser=browser_family(client.user_agent),
        country=country_code(ip=client.ip, header_country=client.header_country),
    )


def page_path(url: str) -> str:
    """The URL's path only: query strings and fragments can carry personal data (emails, tokens)."""
    return urlsplit(url).path or "/"
