"""The reference computation of a site's statistics, from the raw pageviews alone.

Nothing derived is read: not the day, hour or period rows, not the stored sessions, not
the marks. The window's visitor-days are read from `Pageview`, their sessions regrouped
by the documented rule (`analytics.counting.rule.sessions_of`: 30-minute gaps, the first
pageview gives the source, device, browser and country), and every number counted in
Python exactly as docs/definitions.md words it. Production serves
`analytics.selectors.site_stats`; the property and hand-counted tests hold the two equal.
It reads every pageview of the window, so it is for tests, checks and benches on small data.
"""

import datetime as dt
from collections import defaultdict

from analytics.counting.rule import SessionRow, Visit, sessions_of
from analytics.metrics import Counts as ListCounts
from analytics.metrics import SessionTotals, assemble_stats, list_rules
from analytics.models import Dimension, Pageview, Site
from analytics.periods import Period, days_window, window_for
from analytics.stats import DayRow, SiteStats

SESSION_VALUES = {Dimension.DEVICE_TYPE: "device_type", Dimension.BROWSER: "browser", Dimension.COUNTRY: "country"}


def reference_site_stats(*, site: Site, period: Period | str, now: dt.datetime) -> SiteStats:
    period = Period(period)
    tz = site.tzinfo
    window = window_for(period, now=now, tz=tz)
    days = days_window(window.dates[0], window.dates[-1], tz=tz)
    visitor_days: dict[tuple[int, dt.date], list[Visit]] = defaultdict(list)
    rows = Pageview.objects.filter(site=site, timestamp__gte=days.start, timestamp__lt=days.end).values_list(
        "visitor_id", "timestamp", "path", "source", "device_type", "browser", "country"
    )
    for visitor_id, timestamp, path, source, device_type, browser, country in rows:
        key = (visitor_id, timestamp.astimezone(tz).date())
        visitor_days[key].append(Visit(timestamp, path, source, device_type, browser, country))

    def inside(moment: dt.datetime) -> bool:
        return window.start <= moment < window.end

    visitors: set[int] = set()
    pageviews = 0
    per_date: dict[dt.date, list] = defaultdict(lambda: [0, set()])
    path_views: dict[str, int] = defaultdict(int)
    path_visitors: dict[str, set[int]] = defaultdict(set)
    source_visits: dict[str, int] = defaultdict(int)
    value_visitors: dict[Dimension, dict[str, set[int]]] = {dimension: defaultdict(set) for dimension in SESSION_VALUES}
    sessions = SessionTotals()
    for (visitor_id, _), visits in visitor_days.items():
        day_sessions = sessions_of(visits)
        for session in day_sessions:
            if inside(session.started_at):
                sessions += SessionTotals(1, int(session.pageviews == 1), session.duration)
                source_visits[session.source] += 1
        for visit in visits:
            if not inside(visit.timestamp):
                continue
            session = session_holding(day_sessions, visit)
            pageviews += 1
            visitors.add(visitor_id)
            date = per_date[visit.timestamp.astimezone(tz).date()]
            date[0] += 1
            date[1].add(visitor_id)
            path_views[visit.path] += 1
            path_visitors[visit.path].add(visitor_id)
            for dimension, name in SESSION_VALUES.items():
                value_visitors[dimension][getattr(session, name)].add(visitor_id)

    counted = {
        Dimension.PATH: [ListCounts(path, views, len(path_visitors[path]), 0) for path, views in path_views.items()],
        Dimension.SOURCE: [ListCounts(source, 0, 0, visits) for source, visits in source_visits.items()],
        **{
            dimension: [ListCounts(value, 0, len(ids), 0) for value, ids in by_value.items()]
            for dimension, by_value in value_visitors.items()
        },
    }
    lists = {}
    for rule in list_rules():
        attribute = {"pageview_count": "pageviews", "visitor_count": "visitors", "visit_count": "visits"}
        count = attribute[rule.ranked_by]
        candidates = [row for row in counted[rule.dimension] if not (rule.leaves_out_unknown and row.key == "")]
        candidates = [row for row in candidates if getattr(row, count) > 0]
        candidates.sort(key=lambda row, count=count: (-getattr(row, count), row.key))
        lists[rule.name] = candidates if rule.limit is None else candidates[: rule.limit]
    daily = [
        (date, per_date[date][0], len(per_date[date][1])) if date in per_date else (date, 0, 0) for date in window.dates
    ]
    return assemble_stats(
        period=period,
        pageviews=pageviews,
        unique_visitors=len(visitors),
        sessions=sessions,
        lists=lists,
        daily=[DayRow(*row) for row in daily],
    )


def session_holding(sessions: list[SessionRow], visit: Visit) -> SessionRow:
    """The session `visit` belongs to: the last one starting at or before it (sessions are in time order)."""
    return [session for session in sessions if session.started_at <= visit.timestamp][-1]
