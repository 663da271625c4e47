"""Writing collected data: a batch of pageviews at a time, with their sessions and the counts they change."""

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction

from analytics.counting.store import store_change
from analytics.counting.visitor_days import NewPageview, StoredPageview, write_visitor_days
from analytics.models import DeviceType, Pageview, Site
from analytics.raw_writes import binding_cursor, is_postgresql

__all__ = ["NewPageview", "StoredPageview", "record_pageview", "record_pageviews", "record_pageviews_of_free_visitors"]


def lock_visitors(*, site_id: int, visitor_ids: list[int]) -> None:
    """Serialise concurrent writers of the same visitors so they never open two sessions for one.

    PostgreSQL takes transaction-scoped advisory locks on the (site, visitor) pairs, in one
    order for everyone; SQLite already runs one write transaction at a time (IMMEDIATE mode).
    """
    if connection.vendor != "postgresql" or not visitor_ids:
        return
    keys = sorted({visitor_lock_key(site_id=site_id, visitor_id=visitor_id) for visitor_id in visitor_ids})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(%s::bigint[]) AS key", [keys])


def lock_free_visitors(*, site_id: int, visitor_ids: list[int]) -> set[int]:
    """The visitors whose locks (as `lock_visitors` takes them) this transaction got without waiting.

    The others are being written by another transaction right now.
    """
    if connection.vendor != "postgresql" or not visitor_ids:
        return set(visitor_ids)
    visitors_by_key = defaultdict(list)
    for visitor_id in visitor_ids:
        visitors_by_key[visitor_lock_key(site_id=site_id, visitor_id=visitor_id)].append(visitor_id)
    keys = sorted(visitors_by_key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [keys])
        taken = [got for (got,) in cursor.fetchall()]
    return {visitor_id for key, got in zip(keys, taken, strict=True) if got for visitor_id in visitors_by_key[key]}


def visitor_lock_key(*, site_id: int, visitor_id: int) -> int:
    return signed_64((visitor_id ^ (site_id * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF)


def signed_64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def record_pageviews(*, site: Site, pageviews: list[NewPageview]) -> list[StoredPageview]:
    """Store a batch of pageviews of one site, attach each to its visitor's session, and update the rollups.

    All in one transaction, so the raw rows and the rollups never disagree. Pageviews whose
    `event_id` is stored already are skipped: a batch handed over twice is written once.
    The sessions of each visitor-day the batch touches are worked out again from all its
    pageviews (`analytics.counting.rule`), so they are the same whatever order the pageviews
    arrive in.
    """
    with transaction.atomic():
        fresh = unrecorded(pageviews)
        if not fresh:
            return []
        lock_visitors(site_id=site.pk, visitor_ids=sorted({pageview.visitor_id for pageview in fresh}))
        return write_locked_pageviews(site=site, pageviews=fresh)


def record_pageviews_of_free_visitors(
    *, site: Site, pageviews: list[NewPageview]
) -> tuple[list[StoredPageview], list[NewPageview]]:
    """`record_pageviews` for the visitors no other transaction is writing; the others' pageviews are returned.

    Two ingest workers often take pageviews of the same visitors at once. Waiting for the
    visitor locks made the second worker wait for the first's whole transaction, so two
    workers drained no faster than one. This writes what it can lock without waiting and
    hands back, untouched, the pageviews of the visitors it could not: the caller writes
    them later, with `record_pageviews`. Every pageview of one visitor is either written
    or handed back, so the numbers are the same as one `record_pageviews` of the batch.
    """
    with transaction.atomic():
        fresh = unrecorded(pageviews)
        if not fresh:
            return [], []
        free = lock_free_visitors(site_id=site.pk, visitor_ids=sorted({pageview.visitor_id for pageview in fresh}))
        busy = [pageview for pageview in fresh if pageview.visitor_id not in free]
        writable = [pageview for pageview in fresh if pageview.visitor_id in free]
        return (write_locked_pageviews(site=site, pageviews=writable) if writable else []), busy


def write_locked_pageviews(*, site: Site, pageviews: list[NewPageview]) -> list[StoredPageview]:
    """`record_pageviews` once the visitors are locked and already-stored events left out: inside its transaction."""
    stored, change = write_visitor_days(site=site, pageviews=pageviews)
    store_change(site=site, change=change)
    return stored


def record_pageview(
    *,
    site: Site,
    timestamp: dt.datetime,
    visitor_id: int,
    path: str,
    source: str = "direct",
    device_type: str = DeviceType.DESKTOP,
    browser: str = "",
    country: str = "",
) -> Pageview:
    """One pageview: a batch of one."""
    pageview = NewPageview(timestamp, visitor_id, path, source, device_type, browser, country)
    row = record_pageviews(site=site, pageviews=[pageview])[0]
    return Pageview.objects.get(pk=row.pk)


def unrecorded(pageviews: list[NewPageview]) -> list[NewPageview]:
    """The pageviews whose event is not stored yet, each event once."""
    event_ids = [pageview.event_id for pageview in pageviews if pageview.event_id is not None]
    if not event_ids:
        return pageviews
    if is_postgresql():
        table = connection.ops.quote_name(Pageview._meta.db_table)
        with binding_cursor() as cursor:
            cursor.execute(f"SELECT event_id FROM {table} WHERE event_id = ANY(%b::varchar[])", [event_ids])
            stored = {event_id for (event_id,) in cursor.fetchall()}
    else:
        stored = set(Pageview.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True))
    fresh = []
    for pageview in pageviews:
        if pageview.event_id is None:
            fresh.append(pageview)
        elif pageview.event_id not in stored:
            stored.add(pageview.event_id)  # an event handed over twice within one batch is written once too
            fresh.append(pageview)
    return fresh
