"""Hourly rollups: what lets the last 24 hours be counted without reading a day of raw rows.

The 24-hour window starts at an arbitrary instant, so its visitors cannot be a sum of
per-hour distinct counts: a visitor seen in two hours would count twice. Instead each
hour counts the visitors whose *latest* pageview of the day falls in it. A visitor id
lives within one local day (docs/definitions.md, "Visitors and sessions") and nothing is
recorded after now, so a visitor has a pageview in [start, now) exactly when its latest
pageview is at or after start: the hours after the window's first (partial) hour add up
their visitors exactly, and the first hour is counted from its raw rows, where the
latest pageview of each visitor carries a mark (`Pageview.last_of_visitor`). The same
holds per path (`last_of_path`) and per device type, browser and country (the
latest-ending session with the value, `Session.last_of_*`).

The writer keeps marks and hours exact from each batch and its visitors' state before
it, like `analytics.aggregates`: when a visitor's latest pageview moves to a later hour,
one visitor moves from the old hour to the new one. Sessions count in the hour they
start in, and move with it when a late pageview starts them earlier.
"""

import datetime as dt
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection

from analytics.models import Dimension, HourlyBreakdown, HourlyHorizon, HourlyRollup, Pageview, Session, Site
from analytics.periods import days_window
from analytics.raw_counts import pageviews_in, sessions_started_in
from analytics.raw_writes import add_to_counts, insert_many, prepared_row

HOUR = dt.timedelta(hours=1)
HOURLY_KEPT = dt.timedelta(days=3)
SESSION_MARKS = {
    Dimension.DEVICE_TYPE: ("device_type", "last_of_device_type"),
    Dimension.BROWSER: ("browser", "last_of_browser"),
    Dimension.COUNTRY: ("country", "last_of_country"),
}
PAGEVIEW_MARKS = ("last_of_visitor", "last_of_path")
SESSION_MARK_NAMES = tuple(attribute for _, attribute in SESSION_MARKS.values())
TOTAL_FIELDS = ("pageviews", "visitors", "sessions", "bounces", "duration")
VALUE_FIELDS = ("pageviews", "visitors", "visits")
ROWS_PER_QUERY = 500


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


class SessionBefore(Protocol):
    """What the hours need of a session as it was before the batch."""

    started_at: dt.datetime
    ended_at: dt.datetime
    pageviews: int
    duration: int


Slot = tuple[dt.datetime, dt.date]  # (UTC hour, local day)
PAGEVIEWS, VISITORS, SESSIONS, BOUNCES, DURATION = range(5)  # TOTAL_FIELDS
VALUE_PAGEVIEWS, VALUE_VISITORS, VALUE_VISITS = range(3)  # VALUE_FIELDS


class Slots:
    """The (UTC hour, local day) of each moment, worked out once per batch: a row's time is looked up several times."""

    def __init__(self, tz: zoneinfo.ZoneInfo) -> None:
        self.tz = tz
        self.known: dict[dt.datetime, Slot] = {}

    def __call__(self, moment: dt.datetime) -> Slot:
        slot = self.known.get(moment)
        if slot is None:
            slot = self.known[moment] = (hour_of(moment), moment.astimezone(self.tz).date())
        return slot


@dataclass
class HourChanges:
    """What a batch adds to one site's hourly rollups: per (hour, day) totals and per (hour, day, dimension, value)."""

    totals: dict[Slot, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 5))
    values: dict[tuple[dt.datetime, dt.date, int, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * 3)
    )

    def add_value(self, slot: Slot, dimension: int, value: str, index: int, amount: int) -> None:
        self.values[(slot[0], slot[1], dimension, value)][index] += amount


@dataclass
class Marked:
    """The batch's changes to the hours, and the stored rows whose marks it takes away."""

    changes: HourChanges
    unmarked_visitor: list[int] = field(default_factory=list)
    unmarked_path: list[int] = field(default_factory=list)
    sessions_to_save: list[Session] = field(default_factory=list)


def mark_batch(
    *,
    tz: zoneinfo.ZoneInfo,
    prior_pageviews: Sequence[Pageview],
    new_pageviews: Sequence[Pageview],
    sessions: Iterable[Session],
    before: dict[int, SessionBefore],
    touched: Iterable[Session],
) -> Marked:
    """Set the marks on the batch's new rows (before they are inserted) and work out the change to the hours.

    `prior_pageviews` are the stored pageviews of the batch's visitors, `sessions` every
    session of those visitors after the batch (stored ones as changed by it, new ones
    unsaved), `before` the stored sessions' state before it by id, `touched` the sessions
    the batch created or extended.
    """
    marked = Marked(HourChanges())
    changes = marked.changes
    slot_of = Slots(tz)
    path = int(Dimension.PATH)

    for pageview in new_pageviews:
        slot = slot_of(pageview.timestamp)
        changes.totals[slot][PAGEVIEWS] += 1
        changes.add_value(slot, path, pageview.path, VALUE_PAGEVIEWS, 1)

    new_rows = {id(row) for row in new_pageviews}

    def move_mark(group: Iterable[Pageview], attribute: str, unmarked: list[int], count) -> None:
        marked_before = [row for row in group if id(row) not in new_rows and getattr(row, attribute)]
        latest_new = max((row for row in group if id(row) in new_rows), key=lambda row: row.timestamp, default=None)
        current = max(marked_before, key=lambda row: row.timestamp, default=None)
        if latest_new is None or (current is not None and latest_new.timestamp <= current.timestamp):
            return
        if current is not None:
            setattr(current, attribute, False)
            unmarked.append(current.pk)
            count(current, -1)
        setattr(latest_new, attribute, True)
        count(latest_new, 1)

    def count_visitor(row: Pageview, amount: int) -> None:
        changes.totals[slot_of(row.timestamp)][VISITORS] += amount

    def count_path_visitor(row: Pageview, amount: int) -> None:
        changes.add_value(slot_of(row.timestamp), path, row.path, VALUE_VISITORS, amount)

    by_visitor: dict[int, list[Pageview]] = defaultdict(list)
    by_path: dict[tuple[int, str], list[Pageview]] = defaultdict(list)
    for row in [*prior_pageviews, *new_pageviews]:
        by_visitor[row.visitor_id].append(row)
        by_path[(row.visitor_id, row.path)].append(row)
    new_visitors = {row.visitor_id for row in new_pageviews}
    new_paths = {(row.visitor_id, row.path) for row in new_pageviews}
    for visitor_id in new_visitors:
        move_mark(by_visitor[visitor_id], "last_of_visitor", marked.unmarked_visitor, count_visitor)
    for key in new_paths:
        move_mark(by_path[key], "last_of_path", marked.unmarked_path, count_path_visitor)

    touched = list(touched)
    source = int(Dimension.SOURCE)
    for session in touched:
        old = before.get(session.pk)
        for state, sign in ((old, -1), (session, 1)):
            if state is None:
                continue
            totals = changes.totals[slot_of(state.started_at)]
            totals[SESSIONS] += sign
            totals[BOUNCES] += sign * (state.pageviews == 1)
            totals[DURATION] += sign * state.duration
            changes.add_value(slot_of(state.started_at), source, session.source, VALUE_VISITS, sign)
    mark_sessions(slot_of=slot_of, sessions=sessions, before=before, touched=touched, marked=marked)
    return marked


def mark_sessions(
    *,
    slot_of: Slots,
    sessions: Iterable[Session],
    before: dict[int, SessionBefore],
    touched: list[Session],
    marked: Marked,
) -> None:
    """Per visitor and device type (browser, country): the mark follows the latest-ending session with that value,
    and the visitor its hour (the hour the session ends, on the day it starts)."""
    sessions = list(sessions)
    to_save: dict[int, Session] = {}

    def slot(end: dt.datetime, session: Session) -> Slot:
        return (slot_of(end)[0], slot_of(session.started_at)[1])

    for dimension, (name, attribute) in SESSION_MARKS.items():
        dimension = int(dimension)
        groups: dict[tuple[int, str], list[Session]] = defaultdict(list)
        for session in sessions:
            groups[(session.visitor_id, getattr(session, name))].append(session)
        for key in {(session.visitor_id, getattr(session, name)) for session in touched}:
            group = groups[key]
            current = next((session for session in group if session.pk in before and getattr(session, attribute)), None)
            latest = max(group, key=lambda session: session.ended_at)
            if current is not None and latest.ended_at <= current.ended_at:
                latest = current
            old_end = before[current.pk].ended_at if current is not None else None
            if current is latest and hour_of(old_end) == hour_of(latest.ended_at):
                continue
            if current is not None:
                marked.changes.add_value(slot(old_end, current), dimension, key[1], VALUE_VISITORS, -1)
                if current is not latest:
                    setattr(current, attribute, False)
                    to_save[id(current)] = current
            setattr(latest, attribute, True)
            marked.changes.add_value(slot(latest.ended_at, latest), dimension, key[1], VALUE_VISITORS, 1)
    touched_ids = {id(session) for session in touched}
    marked.sessions_to_save = [session for key, session in to_save.items() if key not in touched_ids]


def clear_marks(marked: Marked) -> None:
    """Take the marks off the stored pageviews that are no longer their visitor's (path's) latest."""
    for attribute, ids in (("last_of_visitor", marked.unmarked_visitor), ("last_of_path", marked.unmarked_path)):
        for first in range(0, len(ids), ROWS_PER_QUERY):
            Pageview.objects.filter(pk__in=ids[first : first + ROWS_PER_QUERY]).update(**{attribute: False})


def value_key(value: str) -> int:
    """The 64-bit key a value's hourly rows are found by (signed, as the column is)."""
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)


def apply_hour_changes(*, site: Site, changes: HourChanges, fresh: bool = False) -> None:
    """Add the changes to the hourly rows: one upsert for the totals, one update and one insert for the values.

    `fresh`: the rows were just deleted (a recount), so everything is inserted.
    """
    totals = {key: counts for key, counts in changes.totals.items() if any(counts)}
    values = {key: counts for key, counts in changes.values.items() if any(counts)}
    add_totals(site=site, totals=totals)
    if fresh:
        insert_many(
            HourlyBreakdown, fields=("site", *CHANGE_FIELDS), rows=[(site.pk, *row) for row in value_rows(values)]
        )
    else:
        add_values(site=site, values=values)


def add_totals(*, site: Site, totals: dict[tuple[dt.datetime, dt.date], list[int]]) -> None:
    if not totals:
        return
    quote = connection.ops.quote_name
    table = quote(HourlyRollup._meta.db_table)
    columns = ", ".join(TOTAL_FIELDS)
    sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in TOTAL_FIELDS)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(totals))
    params: list = []
    for (hour, day), counts in totals.items():
        params += prepared_row(HourlyRollup, ("site", "hour", "day", *TOTAL_FIELDS), (site.pk, hour, day, *counts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (site_id, hour, day, {columns}) VALUES {rows} "
            f"ON CONFLICT (site_id, hour, day) DO UPDATE SET {sums}",
            params,
        )


def add_values(*, site: Site, values: dict[tuple[dt.datetime, dt.date, int, str], list[int]]) -> None:
    """Add to the rows that exist, found by `value_key` (and the value itself), then insert the others.

    No unique index backs an upsert here: a value may be 2,000 characters, more than a
    PostgreSQL index entry holds, and its 64-bit key alone could in principle collide.
    The site's roll-up lock keeps two writers apart.
    """
    rows = value_rows(values)
    found = add_to_counts(HourlyBreakdown, site_id=site.pk, key_fields=CHANGE_FIELDS[:5], rows=rows)
    updated = {(parse_hour(hour), parse_day(day), dimension, value) for _, hour, day, dimension, _, value, *_ in found}
    insert_many(
        HourlyBreakdown,
        fields=("site", *CHANGE_FIELDS),
        rows=[(site.pk, *row) for row in rows if (row[0], row[1], row[2], row[4]) not in updated],
    )


CHANGE_FIELDS = ("hour", "day", "dimension", "value_key", "value", *VALUE_FIELDS)


def value_rows(values: dict[tuple[dt.datetime, dt.date, int, str], list[int]]) -> list[tuple]:
    """The changes as rows of `CHANGE_FIELDS`."""
    return [
        (hour, day, dimension, value_key(value), value, *counts)
        for (hour, day, dimension, value), counts in values.items()
    ]


def parse_hour(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_day(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def kept_from() -> dt.datetime | None:
    """The earliest hour the hourly rollups are complete from; None when nothing was ever dropped."""
    return HourlyHorizon.objects.values_list("kept_from", flat=True).first()


def hourly_rollups_recounted(*, now: dt.datetime) -> None:
    """Every site's recent days were counted again (`rebuild_recent_hours`): the hourly rows are complete from
    two days back, whatever was dropped or missing before (data loaded in bulk, an upgrade)."""
    recounted_from = hour_of(now - 2 * dt.timedelta(days=1))
    kept = kept_from()
    if kept is not None and kept > recounted_from:
        HourlyHorizon.objects.update(kept_from=recounted_from)


def prune_hourly_rollups(*, now: dt.datetime) -> int:
    """Drop the hourly rows older than `HOURLY_KEPT` (only the last 24 hours read them), at most once a day."""
    cutoff = hour_of(now - HOURLY_KEPT)
    kept = kept_from()
    if kept is not None and cutoff - kept < dt.timedelta(days=1):
        return 0
    deleted, _ = HourlyBreakdown.objects.filter(hour__lt=cutoff).delete()
    deleted += HourlyRollup.objects.filter(hour__lt=cutoff).delete()[0]
    HourlyHorizon.objects.all().delete()
    HourlyHorizon.objects.create(kept_from=cutoff)
    return deleted


@dataclass(eq=False)
class MarkedPageview:
    """A pageview as the marking reads and marks it (stored: `pk` set; about to be: None), lighter than a model
    instance for a batch or a day of rows."""

    pk: int | None
    visitor_id: int
    path: str
    timestamp: dt.datetime
    last_of_visitor: bool = False
    last_of_path: bool = False


@dataclass(eq=False)
class MarkedSession:
    pk: int
    visitor_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    pageviews: int
    duration: int
    source: str
    device_type: str
    browser: str
    country: str
    last_of_device_type: bool = False
    last_of_browser: bool = False
    last_of_country: bool = False


def rebuild_recent_hours(*, site: Site, now: dt.datetime) -> int:
    """Count the hourly rows and marks of `site`'s last few local days again from their raw rows, day by day.

    Older days keep theirs: only the last 24 hours read them, and the pruning drops them.
    Runs inside the caller's transaction and roll-up lock (`rebuild_site_rollups`).
    """
    tz = site.tzinfo
    today = now.astimezone(tz).date()
    last = Pageview.objects.filter(site=site).order_by("-timestamp").values_list("timestamp", flat=True).first()
    if last is None:
        return 0
    first_day = today - HOURLY_KEPT.days * dt.timedelta(days=1)
    last_day = max(today, last.astimezone(tz).date())
    HourlyRollup.objects.filter(site=site, day__gte=first_day).delete()
    HourlyBreakdown.objects.filter(site=site, day__gte=first_day).delete()
    days = 0
    day = first_day
    while day <= last_day:
        window = days_window(day, day, tz=tz)
        pageview_rows = pageviews_in(site=site, window=window).values_list(
            "id", "visitor_id", "path", "timestamp", *PAGEVIEW_MARKS
        )
        session_rows = sessions_started_in(site=site, window=window).values_list(
            "id",
            "visitor_id",
            "started_at",
            "ended_at",
            "pageviews",
            "duration",
            "source",
            "device_type",
            "browser",
            "country",
            *SESSION_MARK_NAMES,
        )
        pageviews = [MarkedPageview(*row[:4]) for row in pageview_rows]
        sessions = [MarkedSession(*row[:10]) for row in session_rows]
        stored = {
            **marks_of(pageview_rows, PAGEVIEW_MARKS, first_column=4),
            **marks_of(session_rows, SESSION_MARK_NAMES, first_column=10),
        }
        if pageviews or sessions:
            marked = mark_batch(
                tz=tz, prior_pageviews=[], new_pageviews=pageviews, sessions=sessions, before={}, touched=sessions
            )
            store_marks(pageviews=pageviews, sessions=sessions, stored=stored)
            apply_hour_changes(site=site, changes=marked.changes, fresh=True)
            days += 1
        day += dt.timedelta(days=1)
    return days


def marks_of(rows, names: tuple[str, ...], *, first_column: int) -> dict[str, set[int]]:
    """The ids of the rows carrying each mark, as stored."""
    return {name: {row[0] for row in rows if row[first_column + index]} for index, name in enumerate(names)}


def store_marks(*, pageviews: list[MarkedPageview], sessions: list[MarkedSession], stored: dict[str, set[int]]) -> None:
    """Write the marks that differ from the stored ones: a recount of unchanged rows writes nothing."""
    for model, rows, names in ((Pageview, pageviews, PAGEVIEW_MARKS), (Session, sessions, SESSION_MARK_NAMES)):
        for name in names:
            wanted = {row.pk for row in rows if getattr(row, name)}
            for value, ids in ((True, sorted(wanted - stored[name])), (False, sorted(stored[name] - wanted))):
                for first in range(0, len(ids), ROWS_PER_QUERY * 10):
                    model.objects.filter(pk__in=ids[first : first + ROWS_PER_QUERY * 10]).update(**{name: value})
