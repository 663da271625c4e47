"""The counting rule itself (`analytics.counting.rule`), on small visitor-days counted by hand.

`sessions_of` and `contribution` are pure functions of a visitor-day's pageviews, so these
tests call them directly, with no database: every expected session, count and mark below is
written out by hand from the pageviews next to it (docs/counting.md, "The rule").

A count list reads (pageviews, visitors, sessions, bounces, duration) for a day or an hour and
(pageviews, visitors, visits) for a value; the keys are (local day), (day, dimension, value),
(UTC hour, local day) and (UTC hour, local day, dimension, value).
"""

import datetime as dt
import itertools
import zoneinfo

import pytest

from analytics.counting.rule import SessionRow, Visit, contribution, sessions_of
from analytics.models import Dimension

UTC = zoneinfo.ZoneInfo("UTC")
PATH, SOURCE, DEVICE, BROWSER, COUNTRY = (
    Dimension.PATH,
    Dimension.SOURCE,
    Dimension.DEVICE_TYPE,
    Dimension.BROWSER,
    Dimension.COUNTRY,
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def visit(
    moment: str,
    path: str = "/",
    *,
    source: str = "direct",
    device: str = "desktop",
    browser: str = "Chrome",
    country: str = "DE",
    key: object = None,
) -> Visit:
    return Visit(at(moment), path, source, device, browser, country, key)


def session(
    start: str,
    end: str,
    *,
    pageviews: int,
    duration: int,
    entry: str = "/",
    exit: str = "/",
    source: str = "direct",
    device: str = "desktop",
    browser: str = "Chrome",
    country: str = "DE",
    marks: tuple[bool, bool, bool] = (True, True, True),
) -> SessionRow:
    """A session as `sessions_of` gives it; `marks`: latest-ending of its device type, browser, country."""
    return SessionRow(
        started_at=at(start),
        ended_at=at(end),
        pageviews=pageviews,
        duration=duration,
        entry_path=entry,
        exit_path=exit,
        source=source,
        device_type=device,
        browser=browser,
        country=country,
        last_of_device_type=marks[0],
        last_of_browser=marks[1],
        last_of_country=marks[2],
    )


def nonzero(counts: dict) -> dict:
    """A count dict without keys whose counts are all zero, so a row left at zero is not a difference."""
    return {key: list(value) for key, value in counts.items() if any(value)}


DAY = dt.date(2026, 3, 18)


# Sessions: the 30-minute cut


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(
            "2026-03-18T10:00:00",
            [session("2026-03-18T10:00:00", "2026-03-18T10:00:00", pageviews=2, duration=0, exit="/b")],
            id="gap-0s-one-session",
        ),
        pytest.param(
            "2026-03-18T10:29:59",
            [session("2026-03-18T10:00:00", "2026-03-18T10:29:59", pageviews=2, duration=1799, exit="/b")],
            id="gap-1799s-one-session",
        ),
        pytest.param(
            "2026-03-18T10:30:00",
            [
                session("2026-03-18T10:00:00", "2026-03-18T10:00:00", pageviews=1, duration=0, marks=(False,) * 3),
                session("2026-03-18T10:30:00", "2026-03-18T10:30:00", pageviews=1, duration=0, entry="/b", exit="/b"),
            ],
            id="gap-1800s-two-sessions",
        ),
        pytest.param(
            "2026-03-18T10:30:01",
            [
                session("2026-03-18T10:00:00", "2026-03-18T10:00:00", pageviews=1, duration=0, marks=(False,) * 3),
                session("2026-03-18T10:30:01", "2026-03-18T10:30:01", pageviews=1, duration=0, entry="/b", exit="/b"),
            ],
            id="gap-1801s-two-sessions",
        ),
    ],
)
def test_a_gap_of_30_minutes_or_more_starts_a_new_session(second: str, expected: list[SessionRow]):
    visits = [visit("2026-03-18T10:00:00", "/"), visit(second, "/b")]

    assert sessions_of(visits) == expected
    assert sessions_of(visits[::-1]) == expected


@pytest.mark.parametrize(
    ("second", "sessions", "bounces", "duration"),
    [
        ("2026-03-18T10:00:00", 1, 0, 0),
        ("2026-03-18T10:29:59", 1, 0, 1799),
        ("2026-03-18T10:30:00", 2, 2, 0),
        ("2026-03-18T10:30:01", 2, 2, 0),
    ],
)
def test_the_day_counts_sessions_bounces_and_duration_of_the_cut(second, sessions, bounces, duration):
    counted = contribution([visit("2026-03-18T10:00:00", "/"), visit(second, "/b")], tz=UTC)

    assert nonzero(counted.counts.days) == {DAY: [2, 1, sessions, bounces, duration]}


# Sessions: ties and first/last pageviews


def test_a_tie_in_time_is_broken_by_content_whatever_order_the_pageviews_come_in():
    """Three pageviews at one instant and one later: time order, then path, then source, and so on.

    By content: /a (x.com) < /b (google.com) < /b (x.com), all at 10:00; /c at 10:05. So the
    session enters at /a with source x.com, and the latest pageview of /b is the x.com one.
    """
    visits = [
        visit("2026-03-18T10:00", "/b", source="x.com", device="tablet", key="b-x"),
        visit("2026-03-18T10:00", "/b", source="google.com", device="mobile", key="b-google"),
        visit("2026-03-18T10:00", "/a", source="x.com", device="desktop", key="a"),
        visit("2026-03-18T10:05", "/c", source="z.example", device="mobile", key="c"),
    ]
    expected_sessions = [
        session(
            "2026-03-18T10:00", "2026-03-18T10:05", pageviews=4, duration=300, entry="/a", exit="/c", source="x.com"
        )
    ]

    for order in itertools.permutations(visits):
        counted = contribution(list(order), tz=UTC)
        assert sessions_of(list(order)) == expected_sessions, order
        assert counted.sessions == expected_sessions, order
        assert counted.latest == "c", order
        assert counted.latest_of_paths == frozenset({"a", "b-x", "c"}), order
        assert nonzero(counted.counts.values)[(DAY, SOURCE, "x.com")] == [0, 0, 1], order


def test_a_tie_in_time_at_the_end_gives_the_exit_and_the_latest_mark_by_content():
    visits = [
        visit("2026-03-18T10:00", "/", key="first"),
        visit("2026-03-18T10:10", "/z", key="z"),
        visit("2026-03-18T10:10", "/y", key="y"),
    ]

    for order in itertools.permutations(visits):
        counted = contribution(list(order), tz=UTC)
        assert counted.sessions == [
            session("2026-03-18T10:00", "2026-03-18T10:10", pageviews=3, duration=600, entry="/", exit="/z")
        ], order
        assert counted.latest == "z", order


def test_a_session_takes_source_device_browser_country_from_its_first_pageview_and_exit_from_its_last():
    visits = [
        visit("2026-03-18T10:20", "/pricing", source="x.com", device="tablet", browser="Firefox", country="US"),
        visit("2026-03-18T10:10", "/docs", source="direct", device="desktop", browser="Chrome", country="DE"),
        visit("2026-03-18T10:00", "/", source="google.com", device="mobile", browser="Safari", country="AT"),
    ]

    counted = contribution(visits, tz=UTC)

    assert sessions_of(visits) == [
        session(
            "2026-03-18T10:00",
            "2026-03-18T10:20",
            pageviews=3,
            duration=1200,
            entry="/",
            exit="/pricing",
            source="google.com",
            device="mobile",
            browser="Safari",
            country="AT",
        )
    ]
    assert nonzero(counted.counts.values) == {
        (DAY, PATH, "/"): [1, 1, 0],
        (DAY, PATH, "/docs"): [1, 1, 0],
        (DAY, PATH, "/pricing"): [1, 1, 0],
        (DAY, SOURCE, "google.com"): [0, 0, 1],
        (DAY, DEVICE, "mobile"): [0, 1, 0],
        (DAY, BROWSER, "Safari"): [0, 1, 0],
        (DAY, COUNTRY, "AT"): [0, 1, 0],
    }


def test_a_second_session_takes_its_values_from_its_own_first_pageview():
    visits = [
        visit("2026-03-18T10:00", "/", source="google.com", device="mobile", browser="Safari", country="AT"),
        visit("2026-03-18T10:10", "/a", source="x.com", device="desktop", browser="Chrome", country="DE"),
        visit("2026-03-18T11:00", "/b", source="x.com", device="desktop", browser="Chrome", country="DE"),
    ]

    assert sessions_of(visits) == [
        session(
            "2026-03-18T10:00",
            "2026-03-18T10:10",
            pageviews=2,
            duration=600,
            exit="/a",
            source="google.com",
            device="mobile",
            browser="Safari",
            country="AT",
        ),
        session("2026-03-18T11:00", "2026-03-18T11:00", pageviews=1, duration=0, entry="/b", exit="/b", source="x.com"),
    ]


# Counts


def test_a_duration_is_whole_seconds_truncated_not_rounded():
    visits = [visit("2026-03-18T10:00:00.000000", "/"), visit("2026-03-18T10:00:59.900000", "/a")]

    counted = contribution(visits, tz=UTC)

    assert [row.duration for row in counted.sessions] == [59]
    assert nonzero(counted.counts.days) == {DAY: [2, 1, 1, 0, 59]}
    assert nonzero(counted.counts.hours) == {(at("2026-03-18T10:00"), DAY): [2, 1, 1, 0, 59]}


def test_bounces_are_the_sessions_of_one_pageview():
    visits = [
        visit("2026-03-18T08:00", "/"),
        visit("2026-03-18T09:00", "/a"),
        visit("2026-03-18T09:05", "/b"),
        visit("2026-03-18T12:00", "/c"),
    ]

    counted = contribution(visits, tz=UTC)

    assert [row.pageviews for row in counted.sessions] == [1, 2, 1]
    assert nonzero(counted.counts.days) == {DAY: [4, 1, 3, 2, 300]}
    assert nonzero(counted.counts.hours) == {
        (at("2026-03-18T08:00"), DAY): [1, 0, 1, 1, 0],
        (at("2026-03-18T09:00"), DAY): [2, 0, 1, 0, 300],
        (at("2026-03-18T12:00"), DAY): [1, 1, 1, 1, 0],
    }


def test_a_path_counts_its_visitor_once_however_many_pageviews():
    visits = [
        visit("2026-03-18T10:00", "/", key=1),
        visit("2026-03-18T10:01", "/", key=2),
        visit("2026-03-18T10:02", "/a", key=3),
        visit("2026-03-18T10:03", "/", key=4),
    ]

    counted = contribution(visits, tz=UTC)

    assert nonzero(counted.counts.values) == {
        (DAY, PATH, "/"): [3, 1, 0],
        (DAY, PATH, "/a"): [1, 1, 0],
        (DAY, SOURCE, "direct"): [0, 0, 1],
        (DAY, DEVICE, "desktop"): [0, 1, 0],
        (DAY, BROWSER, "Chrome"): [0, 1, 0],
        (DAY, COUNTRY, "DE"): [0, 1, 0],
    }
    assert nonzero(counted.counts.days) == {DAY: [4, 1, 1, 0, 180]}
    assert counted.latest == 4
    assert counted.latest_of_paths == frozenset({3, 4})


def test_the_visitor_counts_in_the_hour_of_its_latest_pageview_and_a_path_in_its_latest_of_that_path():
    """One session from 10:50 to 11:10: it starts in hour 10, the visitor's latest pageview is in hour 11,
    /a's only pageview is in hour 10, and / was seen last in hour 11."""
    visits = [
        visit("2026-03-18T10:50", "/", key="1050"),
        visit("2026-03-18T10:55", "/a", key="1055"),
        visit("2026-03-18T11:10", "/", key="1110"),
    ]

    counted = contribution(visits, tz=UTC)

    ten, eleven = at("2026-03-18T10:00"), at("2026-03-18T11:00")
    assert nonzero(counted.counts.hours) == {(ten, DAY): [2, 0, 1, 0, 1200], (eleven, DAY): [1, 1, 0, 0, 0]}
    assert nonzero(counted.counts.hour_values) == {
        (ten, DAY, PATH, "/"): [1, 0, 0],
        (ten, DAY, PATH, "/a"): [1, 1, 0],
        (eleven, DAY, PATH, "/"): [1, 1, 0],
        (ten, DAY, SOURCE, "direct"): [0, 0, 1],
        (eleven, DAY, DEVICE, "desktop"): [0, 1, 0],
        (eleven, DAY, BROWSER, "Chrome"): [0, 1, 0],
        (eleven, DAY, COUNTRY, "DE"): [0, 1, 0],
    }
    assert counted.latest == "1110"
    assert counted.latest_of_paths == frozenset({"1055", "1110"})


def test_a_device_counts_its_visitor_where_its_latest_session_with_that_device_ends():
    """Three sessions: mobile at 07:00 (a bounce), mobile 09:50-10:10, desktop 11:00-11:20.

    mobile's latest session ends at 10:10, so mobile's visitor is in hour 10 (not 07, not 09);
    desktop's in hour 11. Browser and country never change, so they count in hour 11 with the
    latest session, the only one marked for them.
    """
    visits = [
        visit("2026-03-18T07:00", "/", device="mobile", key="0700"),
        visit("2026-03-18T09:50", "/", device="mobile", key="0950"),
        visit("2026-03-18T10:10", "/a", device="desktop", key="1010"),
        visit("2026-03-18T11:00", "/", device="desktop", key="1100"),
        visit("2026-03-18T11:20", "/a", device="mobile", key="1120"),
    ]

    counted = contribution(visits, tz=UTC)

    assert counted.sessions == [
        session(
            "2026-03-18T07:00",
            "2026-03-18T07:00",
            pageviews=1,
            duration=0,
            device="mobile",
            marks=(False, False, False),
        ),
        session(
            "2026-03-18T09:50",
            "2026-03-18T10:10",
            pageviews=2,
            duration=1200,
            exit="/a",
            device="mobile",
            marks=(True, False, False),
        ),
        session("2026-03-18T11:00", "2026-03-18T11:20", pageviews=2, duration=1200, exit="/a"),
    ]
    seven, nine, ten, eleven = (at(f"2026-03-18T{h}:00") for h in ("07", "09", "10", "11"))
    assert nonzero(counted.counts.days) == {DAY: [5, 1, 3, 1, 2400]}
    assert nonzero(counted.counts.hours) == {
        (seven, DAY): [1, 0, 1, 1, 0],
        (nine, DAY): [1, 0, 1, 0, 1200],
        (ten, DAY): [1, 0, 0, 0, 0],
        (eleven, DAY): [2, 1, 1, 0, 1200],
    }
    assert nonzero(counted.counts.values) == {
        (DAY, PATH, "/"): [3, 1, 0],
        (DAY, PATH, "/a"): [2, 1, 0],
        (DAY, SOURCE, "direct"): [0, 0, 3],
        (DAY, DEVICE, "mobile"): [0, 1, 0],
        (DAY, DEVICE, "desktop"): [0, 1, 0],
        (DAY, BROWSER, "Chrome"): [0, 1, 0],
        (DAY, COUNTRY, "DE"): [0, 1, 0],
    }
    assert nonzero(counted.counts.hour_values) == {
        (seven, DAY, PATH, "/"): [1, 0, 0],
        (nine, DAY, PATH, "/"): [1, 0, 0],
        (ten, DAY, PATH, "/a"): [1, 0, 0],
        (eleven, DAY, PATH, "/"): [1, 1, 0],
        (eleven, DAY, PATH, "/a"): [1, 1, 0],
        (seven, DAY, SOURCE, "direct"): [0, 0, 1],
        (nine, DAY, SOURCE, "direct"): [0, 0, 1],
        (eleven, DAY, SOURCE, "direct"): [0, 0, 1],
        (ten, DAY, DEVICE, "mobile"): [0, 1, 0],
        (eleven, DAY, DEVICE, "desktop"): [0, 1, 0],
        (eleven, DAY, BROWSER, "Chrome"): [0, 1, 0],
        (eleven, DAY, COUNTRY, "DE"): [0, 1, 0],
    }
    assert counted.latest == "1120"
    assert counted.latest_of_paths == frozenset({"1100", "1120"})


def test_a_visitor_day_across_an_hour_and_a_dst_change_counts_in_utc_hours_of_its_local_day():
    """New York, 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST at 06:00 UTC.

    05:50 UTC is 01:50 EDT and 06:10 UTC is 01:10 EST: later in time though earlier on the wall
    clock, 20 minutes apart, so one session of 1,200 s. 04:30 UTC on 11-02 is 23:30 EST on 11-01:
    the same local day, a second session (a bounce), and the visitor's latest pageview.
    """
    new_york = zoneinfo.ZoneInfo("America/New_York")
    visits = [
        visit("2026-11-02T04:30", "/late", key="late"),
        visit("2026-11-01T06:10", "/b", key="est"),
        visit("2026-11-01T05:50", "/a", key="edt"),
    ]
    day = dt.date(2026, 11, 1)

    counted = contribution(visits, tz=new_york)

    assert counted.sessions == [
        session(
            "2026-11-01T05:50",
            "2026-11-01T06:10",
            pageviews=2,
            duration=1200,
            entry="/a",
            exit="/b",
            marks=(False,) * 3,
        ),
        session("2026-11-02T04:30", "2026-11-02T04:30", pageviews=1, duration=0, entry="/late", exit="/late"),
    ]
    assert nonzero(counted.counts.days) == {day: [3, 1, 2, 1, 1200]}
    assert nonzero(counted.counts.hours) == {
        (at("2026-11-01T05:00"), day): [1, 0, 1, 0, 1200],
        (at("2026-11-01T06:00"), day): [1, 0, 0, 0, 0],
        (at("2026-11-02T04:00"), day): [1, 1, 1, 1, 0],
    }
    assert nonzero(counted.counts.hour_values) == {
        (at("2026-11-01T05:00"), day, PATH, "/a"): [1, 1, 0],
        (at("2026-11-01T06:00"), day, PATH, "/b"): [1, 1, 0],
        (at("2026-11-02T04:00"), day, PATH, "/late"): [1, 1, 0],
        (at("2026-11-01T05:00"), day, SOURCE, "direct"): [0, 0, 1],
        (at("2026-11-02T04:00"), day, SOURCE, "direct"): [0, 0, 1],
        (at("2026-11-02T04:00"), day, DEVICE, "desktop"): [0, 1, 0],
        (at("2026-11-02T04:00"), day, BROWSER, "Chrome"): [0, 1, 0],
        (at("2026-11-02T04:00"), day, COUNTRY, "DE"): [0, 1, 0],
    }
    assert counted.latest == "late"
    assert counted.latest_of_paths == frozenset({"edt", "est", "late"})


def test_no_pageviews_contribute_nothing():
    counted = contribution([], tz=UTC)

    assert counted.sessions == []
    assert nonzero(counted.counts.days) == {}
    assert counted.latest is None


def test_a_late_pageview_changes_the_counts_by_the_contribution_after_minus_the_one_before():
    """Before: a bounce on / at 10:00. After a pageview of /a at 10:20 arrives: one session of two pageviews
    (1,200 s), no longer a bounce. The visitor, its session and its device, browser and country stay in
    hour 10, so they do not change; / keeps its one pageview and visitor; /a is new."""
    before = [visit("2026-03-18T10:00", "/", key="old")]
    change = contribution([*before, visit("2026-03-18T10:20", "/a", key="new")], tz=UTC).counts
    contribution(before, tz=UTC, into=change, sign=-1)

    ten = at("2026-03-18T10:00")
    assert nonzero(change.days) == {DAY: [1, 0, 0, -1, 1200]}
    assert nonzero(change.hours) == {(ten, DAY): [1, 0, 0, -1, 1200]}
    assert nonzero(change.values) == {(DAY, PATH, "/a"): [1, 1, 0]}
    assert nonzero(change.hour_values) == {(ten, DAY, PATH, "/a"): [1, 1, 0]}
