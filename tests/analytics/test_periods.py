import datetime as dt
import zoneinfo

import pytest

from analytics.domains import normalize_domain
from analytics.periods import in_canonical_order, window_for

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def test_day_periods_cover_whole_local_days_ending_with_today():
    window = window_for("7d", now=NOW, tz=zoneinfo.ZoneInfo("Pacific/Auckland"))

    assert window.start == dt.datetime(2026, 3, 12, 11, 0, tzinfo=dt.UTC)
    assert window.end == dt.datetime(2026, 3, 19, 11, 0, tzinfo=dt.UTC)
    assert window.dates[0] == dt.date(2026, 3, 13)
    assert window.dates[-1] == dt.date(2026, 3, 19)
    assert len(window.dates) == 7


def test_24h_is_the_24_hours_ending_now():
    window = window_for("24h", now=NOW, tz=zoneinfo.ZoneInfo("UTC"))

    assert (window.start, window.end) == (NOW - dt.timedelta(hours=24), NOW)
    assert window.dates == (dt.date(2026, 3, 17), dt.date(2026, 3, 18))


@pytest.mark.parametrize(("period", "days"), [("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365)])
def test_day_periods_have_exactly_n_dates(period, days):
    window = window_for(period, now=NOW, tz=zoneinfo.ZoneInfo("America/Los_Angeles"))

    assert len(window.dates) == days
    assert len(set(window.dates)) == days


def test_periods_are_put_in_canonical_order():
    assert in_canonical_order(["365d", "24h", "30d"]) == ["24h", "30d", "365d"]


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("Example.COM", "example.com"),
        ("https://www.example.com:8443/path?q=1", "example.com"),
        ("www.blog.example.org.", "blog.example.org"),
        ("  shop.example.net  ", "shop.example.net"),
    ],
)
def test_domains_are_stored_bare(raw, domain):
    assert normalize_domain(raw) == domain
