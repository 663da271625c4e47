"""Property: for every period, stats served from rollups equal two references, field for field.

Pageviews arrive the way the ingest worker hands them over: in batches of any size, each
batch in any order, days late included, some batches handed over twice, some single events
handed over again among new ones, in a later batch or twice in one. After every batch the
rollups (updated in the batch's own transaction) must equal `reference_site_stats`, computed
from the raw rows, and `event_site_stats`, computed from the events sent so far (each counted
once) without reading the database, so a repeat stored twice or a pageview stored with a wrong
attribute shows up even where the raw rows agree with the rollups; so must a rebuild from
scratch at the end.

Hypothesis draws a site time zone (DST changes, half- and quarter-hour offsets, both
ends of the date line), a "now" near a DST change, a month end or a year end, and
visitor-days spread over more than a year. Traffic goes through `record_pageview`,
the ingestion service, in a shuffled order (late arrivals included), in three batches
(an event may come again, in its own batch or another) and a repeat:

    batch 0 → sum the period totals as of `lag` days before "now" → compare
    batch 1 → compare → move the period totals to "now" (the worker) → compare, lists from the totals alone
    batch 2 → compare → batch repeated → compare → rebuild → compare, lists from the totals alone

Before the move the lists come from the totals where no day with data lies between the
totals' first day and the period's, else from the period's day rows; right after the move, and after
the rebuild, every day period reads its lists from the totals (no day rows are summed). Late
events of the last batches are added to the totals, or left out when before their first
day, and the answers are compared again, from the totals or from the day rows as they allow.

Invariants relied on, as real ingestion guarantees them (docs/definitions.md, "Visitors and sessions"): a visitor
id belongs to one site-local day (its salt is the date's), so a session, a run of
one visitor's pageviews, never crosses local midnight either; and no pageview is
recorded after "now". The generator draws visitor ids per local day and times inside
that day, and the test checks the first invariant's consequences on the reference.
Device type, browser and country usually come with the visitor id (it is hashed from the
user agent and IP address); one visitor-day in five draws them per pageview, so "a session
takes them from its first pageview" is exercised beyond the source.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, replace
from functools import partial
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import metrics
from analytics.counting import counters, read_days
from analytics.counting.periods import build_period_totals
from analytics.counting.rebuild import rebuild_site_rollups
from analytics.counting.worker import slide_due_periods
from analytics.periods import Period, local_midnight
from analytics.reference_stats import reference_site_stats
from analytics.selectors import site_stats
from analytics.services import NewPageview, record_pageviews
from tests.analytics.event_reference import event_site_stats
from tests.factories import SiteFactory
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db

TIMEZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
# DST changes of 2026 (America 03-08 and 11-01, Europe 03-29 and 10-25, Lord Howe and
# Chatham 04-05), month ends and a year end.
ANCHORS = ["2026-03-08", "2026-03-29", "2026-04-05", "2026-10-25", "2026-11-01", "2026-02-28", "2026-12-31"]
PATHS = ["/", "/a", "/B", "/b", "/é", "/_", "/pricing"]
SOURCES = ["direct", "google.com", "x.com", "Z.example"]
DEVICES = ["desktop", "mobile", "tablet"]
BROWSERS = ["Chrome", "Safari", "", "Édge"]
COUNTRIES = ["US", "GB", "", "DE"]
BATCHES = 3
GAPS = [0, 1, 59, 1799, 1800, 1801, 5400]  # seconds; the session timeout is 1800
DAY_STARTS = [0, 1, 1799, 1800, 82799, 84599, 86399, 89999]  # seconds after local midnight, near both ends


@dataclass(frozen=True)
class Event:
    visitor_id: int
    timestamp: dt.datetime
    path: str
    source: str
    device_type: str
    browser: str
    country: str
    batch: int
    number: int
    echo: int | None = None  # another batch that hands the same event over again


@dataclass(frozen=True)
class Traffic:
    timezone: str
    now: dt.datetime
    events: list[Event]
    uniform: bool  # every visitor-day keeps one device type, browser and country


@st.composite
def traffic(draw: st.DrawFn) -> Traffic:
    name = draw(st.sampled_from(TIMEZONES))
    tz = zoneinfo.ZoneInfo(name)
    anchor = dt.datetime.fromisoformat(draw(st.sampled_from(ANCHORS))).replace(tzinfo=dt.UTC)
    now = anchor + dt.timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)))
    today = now.astimezone(tz).date()
    events: list[Event] = []
    uniform = True
    for visitor_id in range(1, draw(st.integers(1, 10)) + 1):
        back = draw(st.one_of(st.integers(0, 2), st.integers(0, 400)))
        day = today - dt.timedelta(days=back)
        day_start, day_end = local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz)
        limit = min(day_end, now)
        # Device, browser and country come from the user agent and IP the id is hashed from,
        # but the rule takes each pageview's own values: one visitor-day in five varies them.
        values = st.tuples(st.sampled_from(DEVICES), st.sampled_from(BROWSERS), st.sampled_from(COUNTRIES))
        visitor_values = draw(values)
        varied = draw(st.integers(0, 4)) == 0
        uniform = uniform and not varied
        offset = draw(st.one_of(st.sampled_from(DAY_STARTS), st.integers(0, 90000)))
        pageviews = st.tuples(
            st.sampled_from(GAPS),
            st.sampled_from(PATHS),
            st.sampled_from(SOURCES),
            st.integers(0, BATCHES - 1),
            st.sampled_from([None, None, None, None, *range(BATCHES)]),  # sent again that many batches on (mod BATCHES)
            values if varied else st.just(visitor_values),
        )
        for gap, path, source, batch, echo, (device, browser, country) in draw(
            st.lists(pageviews, min_size=1, max_size=6)
        ):
            offset += gap
            moment = day_start + dt.timedelta(seconds=offset)
            if moment >= limit:
                break
            again = None if echo is None else (batch + echo) % BATCHES  # its own batch too: twice in one batch
            events.append(Event(visitor_id, moment, path, source, device, browser, country, batch, len(events), again))
    order = draw(st.permutations(range(len(events))))
    return Traffic(timezone=name, now=now, events=[events[index] for index in order], uniform=uniform)


def in_batch(events: list[Event], batch: int) -> list[Event]:
    """The events a batch hands over: those first sent in it and those it sends again (twice if both)."""
    return [event for event in events for handed_in in (event.batch, event.echo) if handed_in == batch]


def record(site, events: list[Event]) -> None:
    """One batch, as the worker writes it; each event carries its queue id, so a repeat is a no-op."""
    record_pageviews(
        site=site,
        pageviews=[
            NewPageview(
                timestamp=event.timestamp,
                visitor_id=event.visitor_id,
                path=event.path,
                source=event.source,
                device_type=event.device_type,
                browser=event.browser,
                country=event.country,
                event_id=f"event-{event.number}",
            )
            for event in events
        ],
    )


def assert_rollups_match_raw(
    site, now: dt.datetime, *, sent: list[Event], uniform: bool, lists_from_totals: bool = False
) -> None:
    """Every period equals the reference from the raw rows and the one from the events `sent` so far; with
    `lists_from_totals`, the day periods read their lists from the period totals alone, never by summing the
    period's day rows.

    A visitor-day whose sessions differ in device type counts once under each, so the device counts add
    up to the unique visitors only where every visitor-day is `uniform`.
    """
    for period in Period:
        expected = reference_site_stats(site=site, period=period, now=now)
        assert event_site_stats(events=sent, period=period, now=now, tz=site.tzinfo, limits=EVENT_LIMITS) == expected
        if period != "24h":
            assert sum(day.unique_visitors for day in expected.daily) == expected.unique_visitors
            if uniform:
                assert sum(row.count for row in expected.devices) == expected.unique_visitors
            else:
                assert sum(row.count for row in expected.devices) >= expected.unique_visitors
        with mock.patch.object(
            read_days,
            "day_rows_of_period",
            side_effect=AssertionError("day rows summed") if lists_from_totals else read_days.day_rows_of_period,
        ):
            assert site_stats(site=site, period=period, now=now) == expected, period


SMALL_LIMITS = {"pages": 3, "referrers": 2, "browsers": 2, "countries": 2}
EVENT_LIMITS = {"pages": 3, "referrers": 2, "devices": None, "browsers": 2, "countries": 2}  # as `small_lists` cuts


@pytest.fixture
def small_lists():
    """Lists cut at 3 or 2 entries, so a few dozen pageviews exercise the top-N cuts and their ties.

    Countries get a cut too, so leaving out unknown countries must happen before the cut on both paths.
    """
    small = tuple(replace(rule, limit=SMALL_LIMITS.get(rule.name, rule.limit)) for rule in metrics.LIST_RULES)
    with mock.patch.object(metrics, "LIST_RULES", small):
        yield


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=traffic(),
    repeated=st.integers(0, BATCHES - 1),
    lag=st.one_of(st.integers(0, 3), st.integers(0, 400)),
    changes_per_query=st.sampled_from([1, 3, 500]),
)
def test_rollups_equal_the_raw_computation_for_every_period(
    small_lists, drawn: Traffic, repeated: int, lag: int, changes_per_query: int
):
    """`changes_per_query` cuts the counter writer's statements on SQLite into pieces of that many rows."""
    with transaction.atomic(), mock.patch.object(counters, "ROWS_PER_STATEMENT", changes_per_query):
        site = SiteFactory(timezone=drawn.timezone)
        sent: list[Event] = []
        check = partial(assert_rollups_match_raw, site, drawn.now, sent=sent, uniform=drawn.uniform)
        for batch in range(BATCHES):
            handed_over = in_batch(drawn.events, batch)
            record(site, handed_over)
            sent += handed_over
            if batch == 0:
                build_period_totals(site=site, now=drawn.now - dt.timedelta(days=lag))
            check()
            if batch == 1:
                slide_due_periods(now=drawn.now)
                check(lists_from_totals=True)
        handed_over = in_batch(drawn.events, repeated)
        record(site, handed_over)
        sent += handed_over
        check()

        rebuild_site_rollups(site=site, now=drawn.now)
        check(lists_from_totals=True)
        transaction.set_rollback(True)
