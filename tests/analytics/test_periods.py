import datetime as dt
import zoneinfo

import pytest

from analytics.periods import DEFAULT_PERIOD, Period, window_for

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def test_day_periods_cover_whole_local_days_ending_with_today():
    window = window_for(Period.DAYS_7, now=NOW, tz=zoneinfo.ZoneInfo("Pacific/Auckland"))

    assert window.start == dt.datetime(2026, 3, 12, 11, 0, tzinfo=dt.UTC)
    assert window.end == dt.datetime(2026, 3, 19, 11, 0, tzinfo=dt.UTC)
    assert window.dates[0] == dt.date(2026, 3, 13)
    assert window.dates[-1] == dt.date(2026, 3, 19)
    assert len(window.dates) == 7


def test_24h_is_the_24_hours_ending_now():
    window = window_for(Period.HOURS_24, now=NOW, tz=zoneinfo.ZoneInfo("UTC"))

    assert (window.start, window.end) == (NOW - dt.timedelta(hours=24), NOW)
    assert window.dates == (dt.date(2026, 3, 17), dt.date(2026, 3, 18))


@pytest.mark.parametrize(("period", "days"), [("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365)])
def test_day_periods_have_exactly_n_dates(period, days):
    window = window_for(Period(period), now=NOW, tz=zoneinfo.ZoneInfo("America/Los_Angeles"))

    assert len(window.dates) == days
    assert len(set(window.dates)) == days


def test_periods_are_put_in_canonical_order_once_each_leaving_out_unknown_ones():
    assert Period.in_order(["365d", "24h", "30d", "24h", "1y"]) == ["24h", "30d", "365d"]


def test_each_period_carries_its_label_and_length():
    assert [(period.value, period.label, period.days) for period in Period] == [
        ("24h", "Last 24 hours", None),
        ("7d", "Last 7 days", 7),
        ("30d", "Last 30 days", 30),
        ("90d", "Last 90 days", 90),
        ("365d", "Last 365 days", 365),
    ]
    assert DEFAULT_PERIOD == "7d"


@pytest.mark.parametrize("text", ["7D", " 7d", "7d ", "7", "", "week", "24H"])
def test_only_the_exact_period_names_parse(text):
    assert Period.parse(text) is None


def test_period_names_parse_to_their_period():
    assert Period.parse("90d") is Period.DAYS_90
