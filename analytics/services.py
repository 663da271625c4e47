"""Writing collected data: a batch of pageviews at a time, with their sessions and the rollups they change."""

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db import connection, transaction

from analytics.aggregates import SessionState, WrittenPageview, apply_batch_changes, batch_changes
from analytics.hourly_rollups import MarkedPageview, apply_hour_changes, clear_marks, mark_batch
from analytics.models import PATH_MAX_LENGTH, DeviceType, Pageview, Session, Site
from analytics.raw_writes import binding_cursor, build, columns_from, insert_rows, is_postgresql, update_rows

SESSION_TIMEOUT = dt.timedelta(minutes=30)
SESSION_FIELDS = [
    "started_at",
    "ended_at",
    "entry_path",
    "exit_path",
    "pageviews",
    "duration",
    "last_of_device_type",
    "last_of_browser",
    "last_of_country",
]
NEW_SESSION_FIELDS = ["site", "visitor_id", *SESSION_FIELDS, "source", "device_type", "browser", "country"]
PAGEVIEW_FIELDS = ["site", "session", "visitor_id", "timestamp", "path", "event_id", "last_of_visitor", "last_of_path"]
PRIOR_PAGEVIEW_FIELDS = ("id", "visitor_id", "path", "timestamp", "last_of_visitor", "last_of_path")


class NewPageview(NamedTuple):
    """One pageview to record. `event_id` (the queue's id for it) makes recording it again a no-op.

    A named tuple rather than a frozen dataclass: a worker makes a thousand per batch, and a
    frozen dataclass's `__init__` costs three times as much.
    """

    timestamp: dt.datetime
    visitor_id: int
    path: str
    source: str = "direct"
    device_type: str = DeviceType.DESKTOP
    browser: str = ""
    country: str = ""
    event_id: str | None = None


class StoredPageview(NamedTuple):
    """A pageview as written. A worker's batch makes thousands: a model instance each cost a fifth of its time."""

    pk: int
    session_id: int
    visitor_id: int
    timestamp: dt.datetime
    path: str
    event_id: str | None
    last_of_visitor: bool = False
    last_of_path: bool = False


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
    A pageview joins the visitor's session when it comes less than 30 minutes after that
    session's last pageview (or, arriving late, less than 30 minutes before its first);
    otherwise it opens a new session, which takes its source, device, browser and country
    from this first pageview.
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
    visitor_ids = sorted({pageview.visitor_id for pageview in pageviews})
    prior_sessions = list(Session.objects.select_for_update().filter(site=site, visitor_id__in=visitor_ids))
    prior_pageviews = [
        MarkedPageview(*row)
        for row in Pageview.objects.filter(site=site, visitor_id__in=visitor_ids)
        .values_list(*PRIOR_PAGEVIEW_FIELDS)
        .order_by()
    ]
    prior_paths = {(pageview.visitor_id, pageview.path) for pageview in prior_pageviews}
    before = {session.pk: SessionState.of(session) for session in prior_sessions}
    sessions = defaultdict(list)
    for session in prior_sessions:
        sessions[session.visitor_id].append(session)

    rows: list[tuple[NewPageview, str, Session]] = []
    touched: dict[int, Session] = {}
    for pageview in sorted(pageviews, key=lambda pageview: pageview.timestamp):
        path = pageview.path[:PATH_MAX_LENGTH]
        session = session_for(sessions[pageview.visitor_id], timestamp=pageview.timestamp)
        if session is None:
            session = new_session(site=site, pageview=pageview, path=path)
            sessions[pageview.visitor_id].append(session)
        else:
            extend_session(session, timestamp=pageview.timestamp, path=path)
        touched[id(session)] = session
        rows.append((pageview, path, session))

    new_marks = [MarkedPageview(None, pageview.visitor_id, path, pageview.timestamp) for pageview, path, _ in rows]
    hours = mark_batch(
        tz=site.tzinfo,
        prior_pageviews=prior_pageviews,
        new_pageviews=new_marks,
        sessions=[session for visitor_sessions in sessions.values() for session in visitor_sessions],
        before=before,
        touched=touched.values(),
    )
    extended = [session for session in touched.values() if session.pk is not None]
    insert_sessions([session for session in touched.values() if session.pk is None])
    update_sessions(extended + hours.sessions_to_save)
    stored = insert_pageviews(site=site, rows=rows, marks=new_marks)
    clear_marks(hours)
    changes = batch_changes(
        tz=site.tzinfo,
        pageviews=[WrittenPageview(row.visitor_id, row.timestamp, row.path) for row in stored],
        prior_sessions=prior_sessions,
        prior_paths=prior_paths,
        before=before,
        after=touched.values(),
    )
    apply_batch_changes(site=site, changes=changes)
    apply_hour_changes(site=site, changes=hours.changes)
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
    stored = build(
        Pageview,
        site_id=site.pk,
        session_id=row.session_id,
        visitor_id=row.visitor_id,
        timestamp=row.timestamp,
        path=row.path,
        event_id=row.event_id,
        last_of_visitor=row.last_of_visitor,
        last_of_path=row.last_of_path,
    )
    stored.pk = row.pk
    stored._state.adding = False
    return stored


def insert_sessions(sessions: list[Session]) -> None:
    """Insert new sessions and set their ids (the pageviews refer to them)."""
    if not is_postgresql():
        Session.objects.bulk_create(sessions)
        return
    ids = insert_rows(Session, fields=NEW_SESSION_FIELDS, columns=columns_from(sessions, fields=NEW_SESSION_FIELDS))
    for session, session_id in zip(sessions, ids, strict=True):
        session.pk = session_id
        session._state.adding = False


def insert_pageviews(
    *, site: Site, rows: list[tuple[NewPageview, str, Session]], marks: list[MarkedPageview]
) -> list[StoredPageview]:
    """Insert the batch's pageviews with the marks `mark_batch` set on them (`marks`, in the order of `rows`)."""
    if not is_postgresql():
        created = Pageview.objects.bulk_create(
            build(
                Pageview,
                site_id=site.pk,
                session_id=session.pk,
                visitor_id=pageview.visitor_id,
                timestamp=pageview.timestamp,
                path=path,
                event_id=pageview.event_id,
                last_of_visitor=mark.last_of_visitor,
                last_of_path=mark.last_of_path,
            )
            for (pageview, path, session), mark in zip(rows, marks, strict=True)
        )
        return [
            StoredPageview(row.pk, row.session_id, row.visitor_id, row.timestamp, row.path, row.event_id, *marked(row))
            for row in created
        ]
    columns = [
        [site.pk] * len(rows),
        [session.pk for _, _, session in rows],
        [pageview.visitor_id for pageview, _, _ in rows],
        [pageview.timestamp for pageview, _, _ in rows],
        [path for _, path, _ in rows],
        [pageview.event_id for pageview, _, _ in rows],
        [mark.last_of_visitor for mark in marks],
        [mark.last_of_path for mark in marks],
    ]
    ids = insert_rows(Pageview, fields=PAGEVIEW_FIELDS, columns=columns)
    return [
        StoredPageview(
            pageview_id, session.pk, pageview.visitor_id, pageview.timestamp, path, pageview.event_id, *marked(mark)
        )
        for pageview_id, (pageview, path, session), mark in zip(ids, rows, marks, strict=True)
    ]


def marked(row: Pageview | MarkedPageview) -> tuple[bool, bool]:
    return row.last_of_visitor, row.last_of_path


def update_sessions(sessions: list[Session], *, rows_per_query: int = 1000) -> None:
    """Write the extended sessions back: one UPDATE … FROM unnest(…) on PostgreSQL, one UPDATE … FROM (VALUES …)
    per thousand rows on SQLite (3.33 and later).

    Django's `bulk_update` builds a `CASE WHEN id = … THEN …` per row and field: it was over half
    of a worker's batch.
    """
    if is_postgresql():
        columns = columns_from(sessions, fields=SESSION_FIELDS)
        update_rows(Session, ids=[session.pk for session in sessions], fields=SESSION_FIELDS, columns=columns)
        return
    table = connection.ops.quote_name(Session._meta.db_table)
    assignments = ", ".join(f"{field} = changed.{field}" for field in SESSION_FIELDS)
    adapt = connection.ops.adapt_datetimefield_value
    for first in range(0, len(sessions), rows_per_query):
        chunk = sessions[first : first + rows_per_query]
        rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
        params: list = []
        for session in chunk:
            params += [
                session.pk,
                adapt(session.started_at),
                adapt(session.ended_at),
                session.entry_path,
                session.exit_path,
                session.pageviews,
                session.duration,
                session.last_of_device_type,
                session.last_of_browser,
                session.last_of_country,
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH changed (id, {', '.join(SESSION_FIELDS)}) AS (VALUES {rows}) "
                f"UPDATE {table} SET {assignments} FROM changed WHERE {table}.id = changed.id",
                params,
            )


def unrecorded(pageviews: list[NewPageview]) -> list[NewPageview]:
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
    return [pageview for pageview in pageviews if pageview.event_id is None or pageview.event_id not in stored]


def session_for(candidates: list[Session], *, timestamp: dt.datetime) -> Session | None:
    """The session a pageview at `timestamp` joins: the latest-ending one within 30 minutes of it, if any."""
    joinable = [
        session
        for session in candidates
        if session.ended_at > timestamp - SESSION_TIMEOUT and session.started_at < timestamp + SESSION_TIMEOUT
    ]
    return max(joinable, key=lambda session: session.ended_at, default=None)


def new_session(*, site: Site, pageview: NewPageview, path: str) -> Session:
    return build(
        Session,
        site_id=site.pk,
        visitor_id=pageview.visitor_id,
        started_at=pageview.timestamp,
        ended_at=pageview.timestamp,
        duration=0,
        pageviews=1,
        entry_path=path,
        exit_path=path,
        source=pageview.source,
        device_type=pageview.device_type,
        browser=pageview.browser,
        country=pageview.country,
        last_of_device_type=False,
        last_of_browser=False,
        last_of_country=False,
    )


def extend_session(session: Session, *, timestamp: dt.datetime, path: str) -> None:
    if timestamp < session.started_at:
        session.started_at = timestamp
        session.entry_path = path
    if timestamp >= session.ended_at:
        session.ended_at = timestamp
        session.exit_path = path
    session.pageviews += 1
    session.duration = int((session.ended_at - session.started_at).total_seconds())
