"""Counting days again from their raw pageviews, with the rule alone: to rebuild them, or to check them.

A day's counts are the sum of its visitor-days' contributions (`analytics.counting.rule`),
its sessions and marks theirs too. `recount_day` works them out from the raw pageviews
only — nothing stored is trusted — so the same function serves the rebuild (write them)
and the check an operator runs (`rollup_stats --verify`: compare them with what is stored).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from analytics.counting.rule import Counts, SessionRow, Visit, contribution
from analytics.counting.visitor_days import STORED_VISIT_FIELDS
from analytics.models import Breakdown, DailyRollup, HourlyBreakdown, HourlyRollup, Pageview, Session, Site
from analytics.periods import days_window


@dataclass
class RecountedDay:
    """One local day as the rule gives it from its raw pageviews, beside the marks stored on them."""

    day: dt.date
    counts: Counts = field(default_factory=Counts)
    sessions: list[tuple[int, SessionRow]] = field(default_factory=list)  # (visitor id, session)
    marks: dict[int, tuple[bool, bool]] = field(default_factory=dict)  # pageview id -> (latest, latest of its path)
    stored_marks: dict[int, tuple[bool, bool]] = field(default_factory=dict)

    @property
    def pageviews(self) -> int:
        return len(self.marks)


def recount_day(*, site: Site, day: dt.date) -> RecountedDay:
    tz = site.tzinfo
    window = days_window(day, day, tz=tz)
    recounted = RecountedDay(day)
    by_visitor: dict[int, list[Visit]] = defaultdict(list)
    rows = (
        Pageview.objects.filter(site=site, timestamp__gte=window.start, timestamp__lt=window.end)
        .values_list(*STORED_VISIT_FIELDS)
        .order_by()
    )
    for pk, _, visitor_id, timestamp, path, source, device_type, browser, country, latest, latest_of_path in rows:
        by_visitor[visitor_id].append(Visit(timestamp, path, source, device_type, browser, country, pk))
        recounted.stored_marks[pk] = (latest, latest_of_path)
    for visitor_id, visits in by_visitor.items():
        counted = contribution(visits, tz=tz, into=recounted.counts)
        recounted.sessions += [(visitor_id, session) for session in counted.sessions]
        for visit in visits:
            recounted.marks[visit.key] = (visit.key == counted.latest, visit.key in counted.latest_of_paths)
    recounted.counts = recounted.counts.without_zeros()
    return recounted


def stored_sessions(*, site: Site, day: dt.date) -> list[tuple[int, SessionRow]]:
    """The sessions stored for `day`, as the rule would give them, for comparison."""
    window = days_window(day, day, tz=site.tzinfo)
    names = SessionRow._fields
    rows = Session.objects.filter(site=site, started_at__gte=window.start, started_at__lt=window.end).values_list(
        "visitor_id", *names
    )
    return [(row[0], SessionRow(*row[1:])) for row in rows]


def stored_day_counts(*, site: Site, day: dt.date) -> Counts:
    """What the derived rows of `day` hold now, in the rule's terms."""
    stored = Counts()
    for row in DailyRollup.objects.filter(site=site, day=day).values_list(
        "pageviews", "visitors", "sessions", "bounces", "duration"
    ):
        stored.days[day] = list(row)
    for dimension, value, *counts in Breakdown.objects.filter(site=site, start=day).values_list(
        "dimension", "value", "pageviews", "visitors", "visits"
    ):
        stored.values[(day, dimension, value)] = counts
    for hour, *counts in HourlyRollup.objects.filter(site=site, day=day).values_list(
        "hour", "pageviews", "visitors", "sessions", "bounces", "duration"
    ):
        stored.hours[(hour, day)] = counts
    for hour, dimension, value, *counts in HourlyBreakdown.objects.filter(site=site, day=day).values_list(
        "hour", "dimension", "value", "pageviews", "visitors", "visits"
    ):
        stored.hour_values[(hour, day, dimension, value)] = counts
    return stored
