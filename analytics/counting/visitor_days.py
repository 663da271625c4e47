"""Writing a batch of pageviews: the visitor-days it touches, before and after, and the difference.

For every visitor-day the batch touches, the stored pageviews of that visitor-day are read
(the caller holds the visitors' locks), and the derived rows get
`contribution(stored + new) - contribution(stored)` (`analytics.counting.rule`). The
visitor-day's sessions are written anew, and the marks of its stored pageviews changed
where they moved. Whatever order pageviews arrive in — late, in other batches, claimed
from a dead worker — the stored sessions and counts are those of writing them in time
order, because each visitor-day's contribution depends on its pageviews alone.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

from django.db import connection

from analytics.binary_arrays import binary_array
from analytics.counting.rule import Contribution, Counts, SessionRow, Visit, contribution, local_day
from analytics.models import PATH_MAX_LENGTH, DeviceType, Pageview, Session, Site
from analytics.raw_writes import binding_cursor, build, columns_of, insert_rows, is_postgresql, update_rows

# What a pageview's own event said, in the order the rule's `Visit` takes it after the time.
VISIT_VALUE_FIELDS = ("path", "source", "device_type", "browser", "country")
MARK_FIELDS = ("last_of_visitor", "last_of_path")
PAGEVIEW_FIELDS = ("site", "visitor_id", "timestamp", *VISIT_VALUE_FIELDS, "event_id", *MARK_FIELDS)
SESSION_ROW_FIELDS = SessionRow._fields
SESSION_FIELDS = ("site", "visitor_id", *SESSION_ROW_FIELDS)
STORED_VISIT_FIELDS = ("id", "site", "visitor_id", "timestamp", *VISIT_VALUE_FIELDS, *MARK_FIELDS)
ROWS_PER_QUERY = 1000
SOURCE_MAX_LENGTH, DEVICE_TYPE_MAX_LENGTH, BROWSER_MAX_LENGTH, COUNTRY_MAX_LENGTH = (
    Pageview._meta.get_field(name).max_length for name in ("source", "device_type", "browser", "country")
)
SiteVisitorDay = tuple[int, int, dt.date]  # (site id, visitor id, local date)


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
    visitor_id: int
    timestamp: dt.datetime
    path: str
    event_id: str | None
    last_of_visitor: bool = False
    last_of_path: bool = False


class NewKey(NamedTuple):
    """The key of a pageview of the batch in the rule's `Visit`, until it has an id."""

    index: int


def write_visitor_days(batch: Sequence[tuple[Site, Sequence[NewPageview]]]) -> tuple[list[StoredPageview], dict]:
    """Write the batch's pageviews (of one or more sites), its visitor-days' sessions and marks; return the rows
    and each site's change of counts, by site id. Each kind of row is read and written in one statement for
    all the sites of the batch.

    Runs inside the caller's transaction, with the batch's visitors locked and the events
    already stored left out (`analytics.services.record_pageviews`).
    """
    timezones = {site.pk: site.tzinfo for site, _ in batch}
    pageviews: list[tuple[int, NewPageview]] = []
    new_by_day: dict[SiteVisitorDay, list[Visit]] = defaultdict(list)
    for site, site_pageviews in batch:
        tz = timezones[site.pk]
        for pageview in site_pageviews:
            pageview = as_stored(pageview)
            visit = Visit(*visit_values(pageview), NewKey(len(pageviews)))
            pageviews.append((site.pk, pageview))
            new_by_day[(site.pk, pageview.visitor_id, local_day(pageview.timestamp, tz=tz))].append(visit)
    stored_by_day, stored_marks = stored_visits(timezones=timezones, visitor_days=new_by_day.keys())

    changes: dict[int, Counts] = {site_id: Counts() for site_id in timezones}
    sessions: dict[SiteVisitorDay, list[SessionRow]] = {}
    new_marks: dict[int, tuple[bool, bool]] = {}
    moved_marks: list[tuple[int, bool, bool]] = []
    for visitor_day, new_visits in new_by_day.items():
        tz, change = timezones[visitor_day[0]], changes[visitor_day[0]]
        stored = stored_by_day.get(visitor_day, [])
        after = contribution([*stored, *new_visits], tz=tz, into=change)
        if stored:
            contribution(stored, tz=tz, into=change, sign=-1)
        sessions[visitor_day] = after.sessions
        for visit in stored:
            marks = marks_in(after, visit)
            if marks != stored_marks[visit.key]:
                moved_marks.append((visit.key, *marks))
        for visit in new_visits:
            new_marks[visit.key.index] = marks_in(after, visit)

    replace_sessions(timezones=timezones, sessions=sessions, stored=stored_by_day.keys())
    written = insert_pageviews(pageviews=pageviews, marks=new_marks)
    write_moved_marks(moved_marks)
    return written, {site_id: change.without_zeros() for site_id, change in changes.items()}


def as_stored(pageview: NewPageview) -> NewPageview:
    """The pageview cut to what its columns hold, so it is counted exactly as it is stored (PostgreSQL's array
    casts cut an overlong value without a word, and a count of the uncut value would never match a recount).
    A pageview that fits is returned as it is (`_replace` runs in Python, for every pageview of a batch)."""
    if (
        len(pageview.path) <= PATH_MAX_LENGTH
        and len(pageview.source) <= SOURCE_MAX_LENGTH
        and len(pageview.device_type) <= DEVICE_TYPE_MAX_LENGTH
        and len(pageview.browser) <= BROWSER_MAX_LENGTH
        and len(pageview.country) <= COUNTRY_MAX_LENGTH
    ):
        return pageview
    return pageview._replace(
        path=pageview.path[:PATH_MAX_LENGTH],
        source=pageview.source[:SOURCE_MAX_LENGTH],
        device_type=pageview.device_type[:DEVICE_TYPE_MAX_LENGTH],
        browser=pageview.browser[:BROWSER_MAX_LENGTH],
        country=pageview.country[:COUNTRY_MAX_LENGTH],
    )


def visit_values(pageview: NewPageview) -> tuple:
    """What the rule reads of a pageview (`Visit` less its key), in `VISIT_VALUE_FIELDS` order after the time."""
    return (
        pageview.timestamp,
        pageview.path,
        pageview.source,
        pageview.device_type,
        pageview.browser,
        pageview.country,
    )


def marks_in(after: Contribution, visit: Visit) -> tuple[bool, bool]:
    return visit.key == after.latest, visit.key in after.latest_of_paths


def stored_visits(
    *, timezones: Mapping[int, zoneinfo.ZoneInfo], visitor_days: Iterable[SiteVisitorDay]
) -> tuple[dict[SiteVisitorDay, list[Visit]], dict[int, tuple[bool, bool]]]:
    """The stored pageviews of `visitor_days`, as the rule reads them, and their marks by id."""
    wanted = set(visitor_days)
    by_day: dict[SiteVisitorDay, list[Visit]] = defaultdict(list)
    marks: dict[int, tuple[bool, bool]] = {}
    rows = rows_of_visitors(Pageview, fields=STORED_VISIT_FIELDS, visitors={key[:2] for key in wanted})
    for pk, site_id, visitor_id, timestamp, path, source, device_type, browser, country, last_visit, last_path in rows:
        visitor_day = (site_id, visitor_id, local_day(timestamp, tz=timezones[site_id]))
        if visitor_day in wanted:
            by_day[visitor_day].append(Visit(timestamp, path, source, device_type, browser, country, pk))
            marks[pk] = (last_visit, last_path)
    return by_day, marks


def replace_sessions(
    *,
    timezones: Mapping[int, zoneinfo.ZoneInfo],
    sessions: dict[SiteVisitorDay, list[SessionRow]],
    stored: Collection[SiteVisitorDay],
) -> None:
    """Make the stored sessions of these visitor-days the ones worked out for them: delete the stored sessions
    that are no longer among them, insert the new ones; a session that did not change is not written.

    `stored`: the visitor-days that have stored pageviews. Only their sessions are read: a visitor-day's sessions
    are written with its pageviews, in their transaction, so one without stored pageviews has none (most of a
    batch's visitor-days are new)."""
    wanted = {(*key[:2], session) for key, day_sessions in sessions.items() for session in day_sessions}
    kept: set[tuple[int, int, SessionRow]] = set()
    gone: list[int] = []
    rows = rows_of_visitors(
        Session,
        fields=("id", "site", "visitor_id", *SESSION_ROW_FIELDS),
        visitors={key[:2] for key in stored if key in sessions},
    )
    for pk, site_id, visitor_id, *values in rows:
        row = SessionRow(*values)
        if (site_id, visitor_id, local_day(row.started_at, tz=timezones[site_id])) not in sessions:
            continue
        if (site_id, visitor_id, row) in wanted and (site_id, visitor_id, row) not in kept:
            kept.add((site_id, visitor_id, row))
        else:
            gone.append(pk)
    delete_by_id(Session, gone)
    insert_all(
        Session,
        fields=SESSION_FIELDS,
        rows=[(site_id, visitor_id, *session_values(session)) for site_id, visitor_id, session in wanted - kept],
    )


def rows_of_visitors(model, *, fields: Sequence[str], visitors: set[tuple[int, int]]) -> list[tuple]:
    """The values of `fields` of every row of `model` (pageviews, sessions) of these (site id, visitor id) pairs.

    One statement for every site on PostgreSQL: a branch per site, `site_id = … AND visitor_id
    = ANY(…)`, joined by UNION ALL. Joined with the pairs instead, PostgreSQL could take an
    index on the site alone, such as (site, started_at), on a table not analysed since it grew,
    filtering every row of the site per pair (0.8 s for 1,000 visitors, against 3 ms). SQLite:
    one query per site.
    """
    by_site: dict[int, list[int]] = defaultdict(list)
    for site_id, visitor_id in sorted(visitors):
        by_site[site_id].append(visitor_id)
    if not by_site:
        return []
    if is_postgresql():
        table = connection.ops.quote_name(model._meta.db_table)
        selected = ", ".join(column for column, _ in columns_of(model, fields))
        branch = f"SELECT {selected} FROM {table} WHERE site_id = %b::bigint AND visitor_id = ANY(%b::bigint[])"
        with binding_cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join([branch] * len(by_site)),
                [
                    value
                    for site_id, visitor_ids in by_site.items()
                    for value in (site_id, binary_array(visitor_ids, db_type="bigint"))
                ],
                binary=True,
            )
            return cursor.fetchall()
    rows = []
    for site_id, visitor_ids in by_site.items():
        for first in range(0, len(visitor_ids), ROWS_PER_QUERY):
            chosen = visitor_ids[first : first + ROWS_PER_QUERY]
            query = model.objects.filter(site_id=site_id, visitor_id__in=chosen).order_by()
            rows += query.values_list(*fields)
    return rows


def session_values(session: SessionRow) -> tuple:
    return tuple(session)


def insert_pageviews(
    *, pageviews: list[tuple[int, NewPageview]], marks: dict[int, tuple[bool, bool]]
) -> list[StoredPageview]:
    rows = [
        (site_id, pageview.visitor_id, *visit_values(pageview), pageview.event_id, *marks[index])
        for index, (site_id, pageview) in enumerate(pageviews)
    ]
    ids = insert_all(Pageview, fields=PAGEVIEW_FIELDS, rows=rows)
    return [
        StoredPageview(pk, row[1], row[2], row[3], row[8], row[9], row[10]) for pk, row in zip(ids, rows, strict=True)
    ]


def write_moved_marks(moved: list[tuple[int, bool, bool]]) -> None:
    """Set both marks to what the rule says on the stored pageviews where either changed: one array-bound UPDATE on
    PostgreSQL (one per mark and value, four in all, cost a returning visitor's batch 37 ms), one per mark and
    value on SQLite."""
    if not moved:
        return
    if is_postgresql():
        rows = sorted(moved)
        update_rows(
            Pageview,
            ids=[row[0] for row in rows],
            fields=MARK_FIELDS,
            columns=[[row[1] for row in rows], [row[2] for row in rows]],
        )
        return
    for position, name in ((1, "last_of_visitor"), (2, "last_of_path")):
        for value in (True, False):
            ids = sorted(row[0] for row in moved if row[position] is value)
            for first in range(0, len(ids), ROWS_PER_QUERY):
                Pageview.objects.filter(pk__in=ids[first : first + ROWS_PER_QUERY]).update(**{name: value})


def insert_all(model, *, fields: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """Insert rows of `fields` and return their ids: one array-bound INSERT on PostgreSQL, `bulk_create` on SQLite."""
    if not rows:
        return []
    if is_postgresql():
        return insert_rows(model, fields=fields, columns=[list(column) for column in zip(*rows, strict=True)])
    attnames = [model._meta.get_field(name).attname for name in fields]
    objects = [build(model, **dict(zip(attnames, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects)
    return [item.pk for item in objects]


def delete_by_id(model, ids: list[int]) -> None:
    if not ids:
        return
    if is_postgresql():
        table = connection.ops.quote_name(model._meta.db_table)
        with binding_cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%b::bigint[])", [binary_array(ids, db_type="bigint")])
        return
    for first in range(0, len(ids), ROWS_PER_QUERY):
        model.objects.filter(pk__in=ids[first : first + ROWS_PER_QUERY]).delete()
