import datetime as dt

import pytest
from django.utils import translation

from sharing.formatting import (
    format_compact,
    format_count,
    format_date_range,
    format_day,
    format_duration,
    format_percent,
    format_share,
)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "0"), (7, "7"), (999, "999"), (1250, "1,250"), (1234567, "1,234,567")]
)
def test_counts_get_thousands_separators(value, expected):
    assert format_count(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(0, "0.0%"), (42.5, "42.5%"), (100, "100.0%"), (33.3, "33.3%")])
def test_rates_keep_one_decimal_and_a_percent_sign(value, expected):
    assert format_percent(value) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0s"),
        (0.4, "0s"),
        (45, "45s"),
        (59.6, "1m 00s"),
        (185.3, "3m 05s"),
        (600, "10m 00s"),
        (3599, "59m 59s"),
        (3720, "1h 02m"),
        (90061, "25h 01m"),
    ],
)
def test_durations_read_like_a_clock(seconds, expected):
    assert format_duration(seconds) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (950, "950"), (1000, "1K"), (1200, "1.2K"), (2500, "2.5K"), (15000, "15K"), (2_500_000, "2.5M")],
)
def test_axis_labels_are_compact(value, expected):
    assert format_compact(value) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 10, "0%"), (5, 0, "0%"), (1, 3, "33%"), (2, 3, "67%"), (1, 25, "4%"), (1, 40, "2.5%"), (1, 2000, "<0.1%")],
)
def test_shares_are_rounded_for_reading(part, whole, expected):
    assert format_share(part, whole) == expected


def test_a_day_names_its_weekday():
    assert format_day(dt.date(2026, 3, 18)) == "Wed 18 Mar 2026"


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (dt.date(2026, 3, 18), dt.date(2026, 3, 18), "18 Mar 2026"),
        (dt.date(2026, 3, 12), dt.date(2026, 3, 18), "12\u201318 Mar 2026"),
        (dt.date(2026, 2, 17), dt.date(2026, 3, 18), "17 Feb \u2013 18 Mar 2026"),
        (dt.date(2025, 3, 19), dt.date(2026, 3, 18), "19 Mar 2025 \u2013 18 Mar 2026"),
    ],
)
def test_date_ranges_say_the_month_and_year_once(first, last, expected):
    assert format_date_range(first, last) == expected


@pytest.mark.parametrize(
    ("language", "count", "percent", "share", "duration", "compact", "day", "days"),
    [
        (
            "de",
            "1.234.567",
            "42,5 %",
            "2,5 %",
            "1 Std. 02 Min.",
            "2,5 Mio.",
            "Mi., 18. März 2026",
            "24. Feb. – 18. März 2026",
        ),
        ("fr", "1 234 567", "42,5 %", "2,5 %", "1 h 02 min", "2,5 M", "mer. 18 mars 2026", "24 févr. – 18 mars 2026"),
        ("ja", "1,234,567", "42.5%", "2.5%", "1時間02分", "250万", "2026年3月18日(水)", "2026年2月24日\uff5e3月18日"),
        (
            "ar",
            "1,234,567",
            "42.5%",
            "2.5%",
            "1 س 02 د",
            "2.5 مليون",
            "الأربعاء، 18 مارس 2026",
            "24 فبراير – 18 مارس 2026",
        ),
    ],
)
def test_each_language_writes_numbers_and_dates_its_own_way(
    language, count, percent, share, duration, compact, day, days
):
    with translation.override(language):
        assert " ".join(format_count(1234567).split()) == count
        assert " ".join(format_percent(42.5).split()) == percent
        assert " ".join(format_share(1, 40).split()) == share
        assert format_duration(3720) == duration
        assert " ".join(format_compact(2_500_000).split()) == compact
        assert format_day(dt.date(2026, 3, 18)) == day
        assert format_date_range(dt.date(2026, 2, 24), dt.date(2026, 3, 18)) == days
