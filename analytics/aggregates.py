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
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from analytics.blocks import Block
from analytics.counting.recount import recount_day, stored_day_counts
from analytics.counting.rule import Counts
from analytics.counting.visitor_days import SESSION_FIELDS, insert_all, session_values, write_moved_marks
from analytics.hourly_rollups import HourChanges, apply_hour_changes
from analytics.models import DailyRollup, Dimension, Session, Site
from analytics.period_totals import add_batch_to_totals
from analytics.periods import days_window
from analytics.rollups import add_block_changes, lock_site, schedule_blocks_for, summed_blocks_holding

SESSION_DIMENSIONS = {
    Dimension.DEVICE_TYPE: "device_type",
    Dimension.BROWSER: "browser",
    Dimension.COUNTRY: "country",
}


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
    if updated:
        DailyRollup.objects.filter(site=site, day=day, pageviews=0, visitors=0, sessions=0).delete()
    else:
        DailyRollup.objects.create(
            site=site,
            day=day,
            pageviews=change.pageviews,
            visitors=change.visitors,
            sessions=change.sessions,
            bounces=change.bounces,
            duration=change.duration,
        )


def apply_counts(*, site: Site, counts: Counts) -> None:
    """Add a change worked out by the rule (`analytics.counting.rule.Counts`) to the day rows, the blocks and
    period totals holding them, and the hourly rows."""
    changes = BatchChanges()
    for day, totals in counts.days.items():
        changes.days[day] = DayChange(*totals)
    changes.values.update(counts.values)
    apply_batch_changes(site=site, changes=changes)
    hours = HourChanges()
    hours.totals.update(counts.hours)
    hours.values.update(counts.hour_values)
    apply_hour_changes(site=site, changes=hours)


@transaction.atomic
def roll_up_day(*, site: Site, day: dt.date) -> None:
    """Count one site-local day again from its raw pageviews and store the difference from what was stored.

    The day's rows, the summed blocks holding it, the period totals counting it and its hourly
    rows get the same change in one transaction; its sessions and marks are written anew.
    Used after raw rows were deleted or changed by hand (spam removed, a repair).
    """
    lock_site(site)
    recounted = recount_day(site=site, day=day)
    change = Counts()
    change.add(recounted.counts)
    change.add(stored_day_counts(site=site, day=day), sign=-1)
    window = days_window(day, day, tz=site.tzinfo)
    Session.objects.filter(site=site, started_at__gte=window.start, started_at__lt=window.end).delete()
    insert_all(
        Session,
        fields=SESSION_FIELDS,
        rows=[(site.pk, visitor_id, *session_values(session)) for visitor_id, session in recounted.sessions],
    )
    write_moved_marks([(pk, *marks) for pk, marks in recounted.marks.items() if marks != recounted.stored_marks[pk]])
    apply_counts(site=site, counts=change.without_zeros())
