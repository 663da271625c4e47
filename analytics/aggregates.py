"""Keeping the rollups exact as pageviews are written: what one batch changes, added in the batch's transaction.

A batch of pageviews changes a few site-days: their totals (`DailyRollup`) and the
per-value counts of each dimension (`Breakdown` rows of the day, and of every summed
block of days holding it). The change is worked out from the batch alone plus the
state of the batch's visitors before it, so its cost grows with the batch, never with
the site's history, and nothing re-counts a day:

- pageviews add up;
- a visitor is new to a day, a path or a device/browser/country value when none of
  its earlier pageviews or sessions had it. A visitor id lives within one local day
  (docs/definitions.md, "Visitors and sessions"), so "earlier on that day" is "earlier";
- sessions belong to the day they start: a new session adds a session, a visit to
  its source, and its bounce and duration; an extended one changes its bounce and
  duration by the difference.

The property test holds the result equal, field for field, to the reference
computation over the raw rows, whatever order the batches and their events arrive in.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F

from analytics.blocks import Block
from analytics.models import DailyRollup, Dimension, Session, Site
from analytics.period_totals import add_batch_to_totals
from analytics.rollups import add_block_changes, lock_site, schedule_blocks_for, summed_blocks_holding

SESSION_DIMENSIONS = {
    Dimension.DEVICE_TYPE: "device_type",
    Dimension.BROWSER: "browser",
    Dimension.COUNTRY: "country",
}


@dataclass(frozen=True)
class SessionState:
    """What the aggregates read of a session: when it starts (its day) and ends, how many pageviews, how long."""

    started_at: dt.datetime
    ended_at: dt.datetime
    pageviews: int
    duration: int

    @classmethod
    def of(cls, session: Session) -> "SessionState":
        return cls(session.started_at, session.ended_at, session.pageviews, session.duration)


@dataclass(frozen=True)
class WrittenPageview:
    visitor_id: int
    timestamp: dt.datetime
    path: str


@dataclass
class DayChange:
    pageviews: int = 0
    visitors: int = 0
    sessions: int = 0
    bounces: int = 0
    duration: int = 0


@dataclass
class BatchChanges:
    """Everything one batch adds to one site's rollups, per local day."""

    days: dict[dt.date, DayChange] = field(default_factory=lambda: defaultdict(DayChange))
    # (day, dimension, value) -> [pageviews, visitors, visits]
    values: dict[tuple[dt.date, int, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def add_value(self, day: dt.date, dimension: Dimension, value: str, *, pageviews=0, visitors=0, visits=0) -> None:
        counts = self.values[(day, int(dimension), value)]
        counts[0] += pageviews
        counts[1] += visitors
        counts[2] += visits


def batch_changes(
    *,
    tz: zoneinfo.ZoneInfo,
    pageviews: Iterable[WrittenPageview],
    prior_sessions: Iterable[Session],
    prior_paths: set[tuple[int, str]],
    before: dict[int, SessionState],
    after: Iterable[Session],
) -> BatchChanges:
    """The change a batch makes, from its pageviews and its visitors' sessions before (`prior_sessions`,
    `before` by session id) and after (`after`: every session the batch created or extended)."""
    changes = BatchChanges()

    def day_of(moment: dt.datetime) -> dt.date:
        return moment.astimezone(tz).date()

    known_days = {(session.visitor_id, day_of(session.started_at)) for session in prior_sessions}
    known_values = {
        (session.visitor_id, day_of(session.started_at), dimension, getattr(session, name))
        for session in prior_sessions
        for dimension, name in SESSION_DIMENSIONS.items()
    }
    seen_paths = set(prior_paths)
    for pageview in pageviews:
        day = day_of(pageview.timestamp)
        changes.days[day].pageviews += 1
        if (pageview.visitor_id, day) not in known_days:
            known_days.add((pageview.visitor_id, day))
            changes.days[day].visitors += 1
        new_to_path = (pageview.visitor_id, pageview.path) not in seen_paths
        seen_paths.add((pageview.visitor_id, pageview.path))
        changes.add_value(day, Dimension.PATH, pageview.path, pageviews=1, visitors=int(new_to_path))

    for session in after:
        day = day_of(session.started_at)
        old = before.get(session.pk)
        total = changes.days[day]
        if old is None:
            total.sessions += 1
            changes.add_value(day, Dimension.SOURCE, session.source, visits=1)
        total.bounces += int(session.pageviews == 1) - int(old is not None and old.pageviews == 1)
        total.duration += session.duration - (old.duration if old is not None else 0)
        for dimension, name in SESSION_DIMENSIONS.items():
            key = (session.visitor_id, day, dimension, getattr(session, name))
            if key not in known_values:
                known_values.add(key)
                changes.add_value(day, dimension, key[3], visitors=1)
    return changes


def apply_batch_changes(*, site: Site, changes: BatchChanges) -> None:
    """Add the changes to the day rows, to every summed block holding each day, and to the period totals.

    Runs inside the batch's transaction, under the site's roll-up lock, so a reader
    sees the raw rows and the rollups of a batch together, and two writers of one
    site never lose each other's additions.
    """
    lock_site(site)
    add_to_days(site=site, changes=changes.days)
    add_block_changes(site=site, changes=block_changes(site=site, changes=changes))
    add_batch_to_totals(site=site, changes=changes.values)
    if changes.days:
        schedule_blocks_for(site=site, days=changes.days)


def block_changes(*, site: Site, changes: BatchChanges) -> dict[Block, list[dict]]:
    """The per-value changes of each day, for the day itself and for every summed block holding it."""
    per_day: dict[dt.date, list[dict]] = defaultdict(list)
    for (day, dimension, value), (pageviews, visitors, visits) in changes.values.items():
        if pageviews or visitors or visits:
            per_day[day].append(
                {
                    "dimension": dimension,
                    "value": value,
                    "pageviews_change": pageviews,
                    "visitors_change": visitors,
                    "visits_change": visits,
                }
            )
    per_block: dict[Block, list[dict]] = defaultdict(list)
    for day, day_values in sorted(per_day.items()):
        for block in [(0, day), *summed_blocks_holding(site=site, day=day)]:
            per_block[block] += day_values
    return per_block


def add_to_days(*, site: Site, changes: dict[dt.date, DayChange]) -> None:
    for day, change in sorted(changes.items()):
        add_to_day(site=site, day=day, change=change)


def add_to_day(*, site: Site, day: dt.date, change: DayChange) -> None:
    if not any((change.pageviews, change.visitors, change.sessions, change.bounces, change.duration)):
        return
    updated = DailyRollup.objects.filter(site=site, day=day).update(
        pageviews=F("pageviews") + change.pageviews,
        visitors=F("visitors") + change.visitors,
        sessions=F("sessions") + change.sessions,
        bounces=F("bounces") + change.bounces,
        duration=F("duration") + change.duration,
    )
    if not updated:
        DailyRollup.objects.create(
            site=site,
            day=day,
            pageviews=change.pageviews,
            visitors=change.visitors,
            sessions=change.sessions,
            bounces=change.bounces,
            duration=change.duration,
        )
