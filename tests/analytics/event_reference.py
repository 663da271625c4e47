"""A site's statistics counted from the events a test sent, never from the database.

`analytics.reference_stats` counts from the stored `Pageview` rows, so a pageview stored
twice (a broken `event_id` de-duplication) or stored with a wrong attribute is counted the
same wrong way by the engine and by that reference. This one starts from what was sent:
events de-duplicated by their queue number, then every number counted in Python as
docs/definitions.md words it ("Visitors and sessions", "Periods", "Metrics"). From
`analytics` it takes only the rule's grouping into sessions (`sessions_of`) and the
response's shape (`assemble_stats`); windows, list ranking and cuts are written here again.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from analytics.counting.rule import SessionRow, Visit, sessions_of
from analytics.metrics import Counts, SessionTotals, assemble_stats
from analytics.stats import DayRow, SiteStats

# docs/definitions.md, "Metrics": each list, the count it ranks by, and whether unknown ("") is left out.
LISTS = {
    "pages": ("pageviews", False),
    "referrers": ("visits", False),
    "devices": ("visitors", False),
    "browsers": ("visitors", False),
    "countries": ("visitors", True),
}
DOCUMENTED_LIMITS = {"pages": 50, "referrers": 50, "devices": None, "browsers": 20, "countries": None}
SESSION_VALUES = {"devices": "device_type", "browsers": "browser", "countries": "country"}


class SentEvent(Protocol):
    number: int
    visitor_id: int
    timestamp: dt.datetime
    path: str
    source: str
    device_type: str
    browser: str
    country: str


def window(period: str, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    """`24h`: the 24 hours ending now; `Nd`: the N local calendar days ending with today. With the dates it touches."""
    if period == "24h":
        start, end = now - dt.timedelta(hours=24), now
        first, last = start.astimezone(tz).date(), (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    else:
        last = now.astimezone(tz).date()
        first = last - dt.timedelta(days=int(period.removesuffix("d")) - 1)
        start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return start, end, [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def event_site_stats(
    *,
    events: Iterable[SentEvent],
    period: str,
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    limits: dict[str, int | None] = DOCUMENTED_LIMITS,
) -> SiteStats:
    """The statistics of `period` over `events` (each counted once by its `number`), as of `now`."""
    start, end, dates = window(period, now=now, tz=tz)
    once = {event.number: event for event in events}
    visitor_days: dict[tuple[int, dt.date], list[Visit]] = defaultdict(list)
    for event in once.values():
        visitor_days[(event.visitor_id, event.timestamp.astimezone(tz).date())].append(
            Visit(event.timestamp, event.path, event.source, event.device_type, event.browser, event.country)
        )

    pageviews = 0
    visitors: set[int] = set()
    per_date: dict[dt.date, list] = defaultdict(lambda: [0, set()])
    path_views: dict[str, int] = defaultdict(int)
    path_visitors: dict[str, set[int]] = defaultdict(set)
    source_visits: dict[str, int] = defaultdict(int)
    value_visitors: dict[str, dict[str, set[int]]] = {name: defaultdict(set) for name in SESSION_VALUES}
    sessions = SessionTotals()
    for (visitor_id, _), visits in visitor_days.items():
        grouped = sessions_of(visits)
        for session in grouped:
            if start <= session.started_at < end:  # a session belongs to the window it starts in
                sessions += SessionTotals(1, int(session.pageviews == 1), session.duration)
                source_visits[session.source] += 1
        for visit in visits:
            if not start <= visit.timestamp < end:
                continue
            pageviews += 1
            visitors.add(visitor_id)
            date = per_date[visit.timestamp.astimezone(tz).date()]
            date[0] += 1
            date[1].add(visitor_id)
            path_views[visit.path] += 1
            path_visitors[visit.path].add(visitor_id)
            holding = session_holding(grouped, visit)
            for name, attribute in SESSION_VALUES.items():
                value_visitors[name][getattr(holding, attribute)].add(visitor_id)

    counted = {
        "pages": [Counts(path, views, len(path_visitors[path]), 0) for path, views in path_views.items()],
        "referrers": [Counts(source, 0, 0, visits) for source, visits in source_visits.items()],
        **{
            name: [Counts(value, 0, len(ids), 0) for value, ids in by_value.items()]
            for name, by_value in value_visitors.items()
        },
    }
    lists = {}
    for name, (count, leaves_out_unknown) in LISTS.items():
        rows = [row for row in counted[name] if getattr(row, count) > 0 and not (leaves_out_unknown and row.key == "")]
        rows.sort(key=lambda row, count=count: (-getattr(row, count), row.key))  # Python orders str by code point
        lists[name] = rows if limits[name] is None else rows[: limits[name]]
    return assemble_stats(
        period=period,
        pageviews=pageviews,
        unique_visitors=len(visitors),
        sessions=sessions,
        lists=lists,
        daily=[DayRow(date, per_date[date][0], len(per_date[date][1])) for date in dates],
    )


def session_holding(sessions: list[SessionRow], visit: Visit) -> SessionRow:
    """The session `visit` belongs to: the last one starting at or before it (sessions are in time order)."""
    return [session for session in sessions if session.started_at <= visit.timestamp][-1]
