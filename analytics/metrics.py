"""The metric rules every way of computing statistics shares (docs/definitions.md, "Metrics").

The reference computation (`analytics.reference_stats`) and the fast one
(`analytics.counting.read_days`) count differently, but both take from here alone how
each list is ranked, cut and filtered, what a session total is, and how the numbers
become a `SiteStats`. Changing a rule here changes it for both, which is what the
property test comparing them relies on: it patches `LIST_RULES` and nothing else.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate
from django.utils import translation
from django_countries import countries

from analytics.models import Dimension, Session
from analytics.stats import CountRow, CountryRow, DayRow, PageRow, SiteStats, SourceRow

PAGEVIEW_COUNT, VISITOR_COUNT, VISIT_COUNT = COUNT_COLUMNS = ("pageview_count", "visitor_count", "visit_count")


@dataclass(frozen=True)
class Counts:
    """One value's counts; each list ranks by and shows some of them (see `ListRule`)."""

    key: str
    pageviews: int
    visitors: int
    visits: int


@dataclass(frozen=True)
class ListRule:
    """One list of the response: what it counts, how it is ranked and cut, what it leaves out.

    Every list is sorted by its count, largest first, ties by key in code-point order.
    """

    name: str
    dimension: Dimension
    ranked_by: str  # one of COUNT_COLUMNS
    limit: int | None
    leaves_out_unknown: bool = False


LIST_RULES: tuple[ListRule, ...] = (
    ListRule("pages", Dimension.PATH, PAGEVIEW_COUNT, limit=50),
    ListRule("referrers", Dimension.SOURCE, VISIT_COUNT, limit=50),
    ListRule("devices", Dimension.DEVICE_TYPE, VISITOR_COUNT, limit=None),
    ListRule("browsers", Dimension.BROWSER, VISITOR_COUNT, limit=20),
    ListRule("countries", Dimension.COUNTRY, VISITOR_COUNT, limit=None, leaves_out_unknown=True),
)


def list_rules() -> tuple[ListRule, ...]:
    """The rules in force, read at call time so that a test can patch `LIST_RULES` in one place."""
    return LIST_RULES


def code_point_collation() -> str:
    """The collation that sorts text by code point, so ties break alike on SQLite and PostgreSQL."""
    return "C" if connection.vendor == "postgresql" else "BINARY"


def code_point_order(field: str) -> OrderBy:
    return Collate(F(field), code_point_collation()).asc()


def ranked(counts: QuerySet, rule: ListRule) -> list[Counts]:
    """Apply `rule` to a queryset of per-value rows (columns `key` and `COUNT_COLUMNS`) in the database."""
    if rule.leaves_out_unknown:
        counts = counts.exclude(key="")
    counts = counts.order_by(F(rule.ranked_by).desc(), code_point_order("key"))
    if rule.limit is not None:
        counts = counts[: rule.limit]
    return [Counts(row["key"], row[PAGEVIEW_COUNT], row[VISITOR_COUNT], row[VISIT_COUNT]) for row in counts]


@dataclass(frozen=True)
class SessionTotals:
    """The sessions that started in a window: how many, how many bounced, their summed duration in seconds."""

    sessions: int = 0
    bounces: int = 0
    duration: int = 0

    def __add__(self, other: "SessionTotals") -> "SessionTotals":
        return SessionTotals(
            self.sessions + other.sessions, self.bounces + other.bounces, self.duration + other.duration
        )

    def __mul__(self, sign: int) -> "SessionTotals":
        """Scaled by 1 or -1: a stretch of rows added to an answer, or taken away from it."""
        return SessionTotals(self.sessions * sign, self.bounces * sign, self.duration * sign)


def session_totals_of(sessions: QuerySet[Session]) -> SessionTotals:
    """A bounce is a session of exactly one pageview; durations are whole seconds, end minus start."""
    totals = sessions.aggregate(
        sessions=Count("id"), bounces=Count("id", filter=Q(pageviews=1)), duration=Sum("duration")
    )
    return SessionTotals(totals["sessions"], totals["bounces"], totals["duration"] or 0)


def percentage(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def mean(total: int, count: int) -> float:
    return round(total / count, 1) if count else 0.0


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    with translation.override("en"):
        return str(countries.name(code)) or code


def assemble_stats(
    *,
    period: str,
    pageviews: int,
    unique_visitors: int,
    sessions: SessionTotals,
    lists: dict[str, list[Counts]],
    daily: list[DayRow],
) -> SiteStats:
    """The response's numbers from the counted parts: each list shows the counts its rule is about."""
    return SiteStats(
        period=str(period),
        unique_visitors=unique_visitors,
        pageviews=pageviews,
        bounce_rate=percentage(sessions.bounces, sessions.sessions),
        avg_session_duration=mean(sessions.duration, sessions.sessions),
        pages=[PageRow(row.key, row.pageviews, row.visitors) for row in lists["pages"]],
        referrers=[SourceRow(row.key, row.visits) for row in lists["referrers"]],
        devices=[CountRow(row.key, row.visitors) for row in lists["devices"]],
        browsers=[CountRow(row.key, row.visitors) for row in lists["browsers"]],
        countries=[CountryRow(row.key, country_name(row.key), row.visitors) for row in lists["countries"]],
        daily=daily,
    )


def zero_filled(dates: tuple[dt.date, ...], per_date: dict[dt.date, tuple[int, int]]) -> list[DayRow]:
    """One row per date, in order; dates without data count zero."""
    return [DayRow(day, *per_date.get(day, (0, 0))) for day in dates]
