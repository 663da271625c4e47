"""The headline cards: a change is shown as its rounded figure, and the arrow follows that figure's sign."""

import datetime as dt

import pytest

from analytics.stats import DayRow, SiteStats
from sharing.dashboard import headlines


def stats(visitors: int, pageviews: int, bounce_rate: float, duration: float) -> SiteStats:
    return SiteStats(
        period="7d",
        unique_visitors=visitors,
        pageviews=pageviews,
        bounce_rate=bounce_rate,
        avg_session_duration=duration,
        pages=[],
        referrers=[],
        devices=[],
        browsers=[],
        countries=[],
        daily=[DayRow(dt.date(2026, 3, 18), pageviews, visitors)],
    )


def shown(current: SiteStats, previous: SiteStats) -> dict[str, tuple[str, str]]:
    return {card.key: (card.change, card.trend) for card in headlines(current, previous=previous)}


def test_a_change_that_rounds_to_zero_has_no_arrow():
    """1,004 against 1,000 is +0.4%, shown as 0%; 998 against 1,000 is -0.2%; 300.4 s against 300 s is +0.13%."""
    assert shown(stats(1004, 998, 40.0, 300.4), stats(1000, 1000, 40.0, 300.0)) == {
        "visitors": ("\u00b10%", "flat"),
        "pageviews": ("\u00b10%", "flat"),
        "bounce": ("\u00b10.0 pts", "flat"),
        "duration": ("\u00b10%", "flat"),
    }


def test_the_arrow_is_the_sign_of_the_rounded_figure():
    """1,006 against 1,000 is +0.6%, shown as +1%; a bounce rate of 40.1% against 40.0% is +0.1 pts."""
    assert shown(stats(1006, 994, 40.1, 150.0), stats(1000, 1000, 40.0, 300.0)) == {
        "visitors": ("+1%", "up"),
        "pageviews": ("\u22121%", "down"),
        "bounce": ("+0.1 pts", "up"),
        "duration": ("\u221250%", "down"),
    }


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (stats(3, 4, 50.0, 120.0), {"visitors": "new", "pageviews": "new", "bounce": "", "duration": "new"}),
        (stats(0, 0, 0.0, 0.0), {"visitors": "", "pageviews": "", "bounce": "", "duration": ""}),
    ],
)
def test_against_an_empty_previous_period_counts_are_new_and_nothing_has_an_arrow(current, expected):
    cards = shown(current, stats(0, 0, 0.0, 0.0))

    assert {key: change for key, (change, _) in cards.items()} == expected
    assert {trend for _, trend in cards.values()} == {"flat"}


def test_against_a_period_with_visits_an_empty_one_has_fewer_counts_and_no_rates():
    cards = shown(stats(0, 0, 0.0, 0.0), stats(2, 5, 50.0, 90.0))

    assert cards == {
        "visitors": ("\u2212100%", "down"),
        "pageviews": ("\u2212100%", "down"),
        "bounce": ("", "flat"),
        "duration": ("", "flat"),
    }


def period_stats(period: str) -> SiteStats:
    return SiteStats(
        period=period,
        unique_visitors=322404,
        pageviews=900000,
        bounce_rate=40.0,
        avg_session_duration=60.0,
        pages=[],
        referrers=[],
        devices=[],
        browsers=[],
        countries=[],
        daily=[DayRow(dt.date(2026, 3, 18), 1, 1)],
    )


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("24h", "Unique visitors"),
        ("7d", "Daily unique visitors, summed"),
        ("365d", "Daily unique visitors, summed"),
    ],
)
def test_visitors_over_more_than_a_day_are_labelled_as_a_sum_of_daily_visitors(period, label):
    visitors = headlines(period_stats(period))[0]

    assert (visitors.key, visitors.label, visitors.value) == ("visitors", label, "322,404")
