"""The rule: what one visitor-day contributes to every count, a pure function of its pageviews.

A visitor id lives within one local day of its site (docs/definitions.md, "Visitors and
sessions"), so a visitor-day — one visitor's pageviews of one local date — is small and
self-contained. Everything derived from it is worked out here and nowhere else:

- its **sessions**: the pageviews in time order, cut where a gap reaches 30 minutes; a
  session takes its source, device type, browser, country and entry path from its first
  pageview and its exit path from its last;
- its **day counts**: pageviews, one visitor, its sessions, bounces and duration; per
  path pageviews and one visitor, per source the sessions it started, per device type,
  browser and country one visitor;
- its **hour counts** (the last 24 hours are read from them): pageviews in their hour;
  the visitor in the hour of its latest pageview, a path's visitor in the hour of its
  latest pageview of the path, a device type's (browser's, country's) visitor in the
  hour its latest session with that value ends; sessions, bounces, duration and a
  source's visits in the hour the session starts;
- its **marks**: which pageview is its latest, and its latest of each path, and which
  session is its latest-ending of each device type, browser and country (the first,
  partial hour of a 24-hour window counts visitors with them).

Ties are broken by the pageviews' content, never by the order they arrived in: writing
a visitor-day's pageviews in any order, in any batches, gives the same contribution.
The writer adds `contribution(after) - contribution(before)` for every visitor-day a
batch touches, the rebuild adds up contributions from scratch, and the property test's
reference regroups sessions from raw pageviews with `sessions_of`.
"""

import datetime as dt
import functools
import operator
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from analytics.models import Dimension

SESSION_TIMEOUT = dt.timedelta(minutes=30)
SESSION_VALUE_FIELDS = {
    Dimension.DEVICE_TYPE: "device_type",
    Dimension.BROWSER: "browser",
    Dimension.COUNTRY: "country",
}
PATH, SOURCE = int(Dimension.PATH), int(Dimension.SOURCE)
SESSION_MARKS = tuple((int(dimension), name, f"last_of_{name}") for dimension, name in SESSION_VALUE_FIELDS.items())
ZERO_TOTALS, ZERO_VALUE_COUNTS = (0,) * 5, (0,) * 3
# Positions in a totals list and in a value's counts list.
PAGEVIEWS, VISITORS, SESSIONS, BOUNCES, DURATION = range(5)
VALUE_PAGEVIEWS, VALUE_VISITORS, VALUE_VISITS = range(3)


class Visit(NamedTuple):
    """One pageview as the rule reads it. `key` identifies a stored row (its id) or a row about to be written."""

    timestamp: dt.datetime
    path: str
    source: str
    device_type: str
    browser: str
    country: str
    key: object = None

    def order(self) -> tuple:
        """Time order, ties broken by content: the same whatever order the pageviews came in."""
        return VISIT_ORDER(self)


# (timestamp, path, source, device_type, browser, country): `Visit.order`, as a sort key that runs in C.
VISIT_ORDER = operator.itemgetter(slice(0, 6))


class SessionRow(NamedTuple):
    """A session as stored (`analytics.models.Session`, less its site and visitor).

    A named tuple rather than a frozen dataclass: a worker makes and compares thousands per batch, and a frozen
    dataclass's `__init__` and `__hash__` run in Python."""

    started_at: dt.datetime
    ended_at: dt.datetime
    pageviews: int
    duration: int
    entry_path: str
    exit_path: str
    source: str
    device_type: str
    browser: str
    country: str
    last_of_device_type: bool = False
    last_of_browser: bool = False
    last_of_country: bool = False


# `SESSION_MARKS` as positions in a `SessionRow`.
SESSION_MARK_POSITIONS = tuple(
    (dimension, SessionRow._fields.index(name), SessionRow._fields.index(mark))
    for dimension, name, mark in SESSION_MARKS
)


def in_order(visits: Iterable[Visit]) -> list[Visit]:
    return sorted(visits, key=VISIT_ORDER)


def sessions_of(visits: Sequence[Visit]) -> list[SessionRow]:
    """The visitor-day's sessions, in time order, each carrying the marks of its latest-ending values."""
    runs: list[list[Visit]] = []
    for visit in in_order(visits):
        if runs and visit.timestamp - runs[-1][-1].timestamp < SESSION_TIMEOUT:
            runs[-1].append(visit)
        else:
            runs.append([visit])
    # Runs are in time order: the last run seen with a value is the latest-ending one with it.
    latest_device = {run[0].device_type: index for index, run in enumerate(runs)}
    latest_browser = {run[0].browser: index for index, run in enumerate(runs)}
    latest_country = {run[0].country: index for index, run in enumerate(runs)}
    return [
        SessionRow(
            run[0].timestamp,
            run[-1].timestamp,
            len(run),
            int((run[-1].timestamp - run[0].timestamp).total_seconds()),
            run[0].path,
            run[-1].path,
            run[0].source,
            run[0].device_type,
            run[0].browser,
            run[0].country,
            latest_device[run[0].device_type] == index,
            latest_browser[run[0].browser] == index,
            latest_country[run[0].country] == index,
        )
        for index, run in enumerate(runs)
    ]


@functools.lru_cache(maxsize=1 << 16)
def hour_of(moment: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding `moment` (cached: a batch looks up each pageview's time several times)."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Counts:
    """Counts to add to the derived rows of one site, per (row key): a contribution, a change, or a sum of them.

    `days`: local day → totals (pageviews, visitors, sessions, bounces, duration);
    `values`: (day, dimension, value) → (pageviews, visitors, visits);
    `hours`: (UTC hour, local day) → totals; `hour_values`: (UTC hour, local day, dimension, value) → counts.
    """

    # `partial(list, zeros)` makes a new row's counts in C: a batch makes thousands.
    days: dict = field(default_factory=lambda: defaultdict(functools.partial(list, ZERO_TOTALS)))
    values: dict = field(default_factory=lambda: defaultdict(functools.partial(list, ZERO_VALUE_COUNTS)))
    hours: dict = field(default_factory=lambda: defaultdict(functools.partial(list, ZERO_TOTALS)))
    hour_values: dict = field(default_factory=lambda: defaultdict(functools.partial(list, ZERO_VALUE_COUNTS)))

    def add(self, other: "Counts", *, sign: int = 1) -> None:
        for mine, theirs in (
            (self.days, other.days),
            (self.values, other.values),
            (self.hours, other.hours),
            (self.hour_values, other.hour_values),
        ):
            for key, counts in theirs.items():
                target = mine[key]
                for index, count in enumerate(counts):
                    target[index] += sign * count

    def without_zeros(self) -> "Counts":
        kept = Counts()
        for name in ("days", "values", "hours", "hour_values"):
            getattr(kept, name).update({key: counts for key, counts in getattr(self, name).items() if any(counts)})
        return kept


class Contribution(NamedTuple):
    counts: Counts
    sessions: list[SessionRow]
    latest: object  # the key of the visitor-day's latest pageview
    latest_of_paths: frozenset  # the keys of its latest pageview of each path


def contribution(
    visits: Sequence[Visit], *, tz: zoneinfo.ZoneInfo, into: Counts | None = None, sign: int = 1
) -> Contribution:
    """What one visitor-day (`visits`: its pageviews, in any order, all of one local date) adds to every count.

    The counts are added to `into` (a fresh `Counts` by default) times `sign`: a writer takes a
    visitor-day's contribution after a batch and subtracts the one before in the same `Counts`.
    """
    counts = Counts() if into is None else into
    if not visits:
        return Contribution(counts, [], None, frozenset())
    ordered = in_order(visits)
    day = ordered[0].timestamp.astimezone(tz).date()
    sessions = sessions_of(ordered)
    values, hours, hour_values = counts.values, counts.hours, counts.hour_values

    totals = counts.days[day]
    totals[PAGEVIEWS] += sign * len(ordered)
    totals[VISITORS] += sign
    totals[SESSIONS] += sign * len(sessions)
    totals[BOUNCES] += sign * sum(session.pageviews == 1 for session in sessions)
    totals[DURATION] += sign * sum(session.duration for session in sessions)

    latest_of_path: dict[str, Visit] = {}
    for visit in ordered:
        hour = hour_of(visit.timestamp)
        values[(day, PATH, visit.path)][VALUE_PAGEVIEWS] += sign
        hours[(hour, day)][PAGEVIEWS] += sign
        hour_values[(hour, day, PATH, visit.path)][VALUE_PAGEVIEWS] += sign
        latest_of_path[visit.path] = visit
    for path, visit in latest_of_path.items():
        values[(day, PATH, path)][VALUE_VISITORS] += sign
        hour_values[(hour_of(visit.timestamp), day, PATH, path)][VALUE_VISITORS] += sign
    hours[(hour_of(ordered[-1].timestamp), day)][VISITORS] += sign

    for session in sessions:
        start = hour_of(session.started_at)
        hour = hours[(start, day)]
        hour[SESSIONS] += sign
        hour[BOUNCES] += sign * (session.pageviews == 1)
        hour[DURATION] += sign * session.duration
        values[(day, SOURCE, session.source)][VALUE_VISITS] += sign
        hour_values[(start, day, SOURCE, session.source)][VALUE_VISITS] += sign
        for dimension, value_at, mark_at in SESSION_MARK_POSITIONS:
            if session[mark_at]:
                value = session[value_at]
                values[(day, dimension, value)][VALUE_VISITORS] += sign
                hour_values[(hour_of(session.ended_at), day, dimension, value)][VALUE_VISITORS] += sign
    return Contribution(
        counts=counts,
        sessions=sessions,
        latest=ordered[-1].key,
        latest_of_paths=frozenset(visit.key for visit in latest_of_path.values()),
    )


def local_day(moment: dt.datetime, *, tz: zoneinfo.ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()
