"""Writing collected data: a batch of pageviews at a time, with their sessions and the counts they change."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from analytics.binary_arrays import binary_array
from analytics.counting.store import store_changes
from analytics.counting.visitor_days import NewPageview, StoredPageview, write_visitor_days
from analytics.models import DeviceType, Pageview, Site
from analytics.raw_writes import binding_cursor, is_postgresql

__all__ = [
    "NewPageview",
    "StoredPageview",
    "record_batch",
    "record_batch_of_free_visitors",
    "record_pageview",
    "record_pageviews",
]


SiteBatch = Sequence[tuple[Site, Sequence[NewPageview]]]


def lock_visitors(visitors: Iterable[tuple[int, int]]) -> None:
    """Serialise concurrent writers of the same (site id, visitor id) pairs so they never count a visitor-day twice.

    PostgreSQL takes transaction-scoped advisory locks on the pairs, in one order for
    everyone; SQLite already runs one write transaction at a time (IMMEDIATE mode).
    """
    keys = sorted({visitor_lock_key(site_id=site_id, visitor_id=visitor_id) for site_id, visitor_id in visitors})
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(%s::bigint[]) AS key", [keys])


def lock_free_visitors(visitors: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (site id, visitor id) pairs whose locks (as `lock_visitors` takes them) this transaction got without
    waiting. The others are being written by another transaction right now."""
    pairs = set(visitors)
    if connection.vendor != "postgresql" or not pairs:
        return pairs
    pairs_by_key = defaultdict(list)
    for site_id, visitor_id in pairs:
        pairs_by_key[visitor_lock_key(site_id=site_id, visitor_id=visitor_id)].append((site_id, visitor_id))
    keys = sorted(pairs_by_key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [keys])
        taken = [got for (got,) in cursor.fetchall()]
    return {pair for key, got in zip(keys, taken, strict=True) if got for pair in pairs_by_key[key]}


def visitor_lock_key(*, site_id: int, visitor_id: int) -> int:
    return signed_64((visitor_id ^ (site_id * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF)


def signed_64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def record_pageviews(*, site: Site, pageviews: Sequence[NewPageview]) -> list[StoredPageview]:
    """Store a batch of pageviews of one site, its visitors' sessions, and every count it changes."""
    return record_batch([(site, pageviews)])


def record_batch(batch: SiteBatch) -> list[StoredPageview]:
    """Store a batch of pageviews of one or more sites, their visitors' sessions, and every count they change.

    All in one transaction, so the raw rows and the rollups never disagree. Pageviews whose
    `event_id` is stored already are skipped: a batch handed over twice is written once.
    The sessions of each visitor-day the batch touches are worked out again from all its
    pageviews (`analytics.counting.rule`), so they are the same whatever order the pageviews
    arrive in. The sites' rows are read and written together: a batch of 50 sites costs
    the statements of one.
    """
    with transaction.atomic():
        fresh = unrecorded_of(batch)
        if not fresh:
            return []
        lock_visitors((site.pk, pageview.visitor_id) for site, pageviews in fresh for pageview in pageviews)
        return write_locked_pageviews(fresh)


def record_batch_of_free_visitors(batch: SiteBatch) -> tuple[list[StoredPageview], list[tuple[Site, list]]]:
    """`record_batch` for the visitors no other transaction is writing; the others' pageviews are returned.

    Two ingest workers often take pageviews of the same visitors at once. Waiting for the
    visitor locks made the second worker wait for the first's whole transaction, so two
    workers drained no faster than one. This writes what it can lock without waiting and
    hands back, untouched, the pageviews of the visitors it could not: the caller writes
    them later, with `record_batch`. Every pageview of one visitor is either written
    or handed back, so the numbers are the same as one `record_batch` of the batch.
    """
    with transaction.atomic():
        fresh = unrecorded_of(batch)
        if not fresh:
            return [], []
        free = lock_free_visitors((site.pk, pageview.visitor_id) for site, pageviews in fresh for pageview in pageviews)
        writable, busy = [], []
        for site, pageviews in fresh:
            mine = [pageview for pageview in pageviews if (site.pk, pageview.visitor_id) in free]
            others = [pageview for pageview in pageviews if (site.pk, pageview.visitor_id) not in free]
            if mine:
                writable.append((site, mine))
            if others:
                busy.append((site, others))
        return (write_locked_pageviews(writable) if writable else []), busy


def write_locked_pageviews(batch: SiteBatch) -> list[StoredPageview]:
    """`record_batch` once the visitors are locked and already-stored events left out: inside its transaction."""
    stored, changes = write_visitor_days(batch)
    store_changes(changes)
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


def unrecorded_of(batch: SiteBatch) -> list[tuple[Site, list[NewPageview]]]:
    """Each site's pageviews whose event is not stored yet, each event once (one look-up for the whole batch);
    sites left with none are left out."""
    stored = stored_event_ids([pageview.event_id for _, pageviews in batch for pageview in pageviews])
    fresh = []
    for site, pageviews in batch:
        kept = unrecorded(pageviews, stored=stored)
        if kept:
            fresh.append((site, kept))
    return fresh


def stored_event_ids(candidates: list[str | None]) -> set[str]:
    """Those of the event ids that are stored already."""
    event_ids = [event_id for event_id in candidates if event_id is not None]
    if not event_ids:
        return set()
    if is_postgresql():
        table = connection.ops.quote_name(Pageview._meta.db_table)
        with binding_cursor() as cursor:
            cursor.execute(
                f"SELECT event_id FROM {table} WHERE event_id = ANY(%b::varchar[])",
                [binary_array(event_ids, db_type="varchar")],
            )
            return {event_id for (event_id,) in cursor.fetchall()}
    return set(Pageview.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True))


def unrecorded(pageviews: Sequence[NewPageview], *, stored: set[str]) -> list[NewPageview]:
    """The pageviews whose event is not among `stored` (which it adds to: an event handed over twice within one
    batch is written once too)."""
    fresh = []
    for pageview in pageviews:
        if pageview.event_id is None:
            fresh.append(pageview)
        elif pageview.event_id not in stored:
            stored.add(pageview.event_id)
            fresh.append(pageview)
    return fresh
