"""The share page compares with the previous period, shows 24 hours hour by hour, marks today as partial and
explains its numbers; the owner's dashboard shows the same.

"Now" is Wednesday 2026-03-18 15:30 UTC, the site is on UTC, the traffic is tests/analytics/traffic.py plus one
campaign visit and one visit of the week before. Counted by hand:
- 7d: 5 visitors, 9 pageviews, 6 sessions with 4 bounces (66.7%), 1800 s / 6 = 5m 00s; the previous 7 days
  (03-05..03-11 up to 15:30, so without visitor 5 at 23:59) have visitor 7's bounce at 03-11 12:00: 1 visitor,
  1 pageview, 100.0% bounces, 0 s. Visitors +400%, pageviews +800%, bounce rate -33.3 points, duration "new"
  (an average of 0 s has no relative change).
- 24h: visitors 1, 2 and the campaign visitor, on 25 clock hours from 03-17 15:00 (counted from 15:30) to
  03-18 15:00 (up to 15:30): hour 19 (10:00 on 03-18) has visitor 1's 3 pageviews, hour 20 visitor 2's, hour 21
  (12:00) the campaign visit.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from analytics.models import SiteMembership, SiteRole
from tests.analytics.traffic import VISITS, record_visits
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
CAMPAIGN = (6, "2026-03-18T12:00", "/launch", "newsletter", "mobile", "Chrome", "FR")
LAST_WEEK = (7, "2026-03-11T12:00", "/", "direct", "desktop", "Chrome", "US")


@pytest.fixture
def site(frozen_now):
    site = SiteFactory(domain="example.com", nickname="My Website")
    record_visits(site, [*VISITS, CAMPAIGN, LAST_WEEK])
    return site


@pytest.fixture
def token(site):
    return ShareTokenFactory(site=site)


def page(client, share_token, **params):
    response = client.get(f"/share/{share_token.raw_token}/", params)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def changes(html) -> dict[str, str]:
    """Each headline's change, for the headlines that show one."""
    return {
        card["data-metric"]: text(card.select_one(".metric-change"))
        for card in html.select("[data-metric]")
        if card.select_one(".metric-change")
    }


def test_each_headline_says_how_it_changed_against_the_previous_period(client, token):
    html = page(client, token, period="7d")

    assert changes(html) == {
        "visitors": "\u25b2 +400% vs the previous 7 days (1)",
        "pageviews": "\u25b2 +800% vs the previous 7 days (1)",
        "bounce": "\u25bc \u221233.3 pts vs the previous 7 days (100.0%)",
        "duration": "new vs the previous 7 days (0s)",
    }
    assert [card.select_one(".metric-change")["class"][1] for card in html.select("[data-metric]")] == [
        "trend-up", "trend-up", "trend-down", "trend-flat",
    ]  # fmt: skip


def test_the_chart_draws_the_previous_period_as_a_faint_line_day_against_day(client, token):
    html = page(client, token, period="7d")

    days = html.select(".chart-plot .day")
    assert [day.get("data-previous-pageviews") for day in days] == ["0", "0", "0", "0", "0", "0", "1"]
    assert days[6]["data-previous-label"] == "Wed 11 Mar 2026"
    # Today's 5 pageviews give steps of 2 and a top of 8: last week's 1 pageview sits at 1/8 of the height.
    assert html.select_one(".previous-line polyline")["points"].split()[-1] == "6.5,87.5"
    assert text(html.select_one(".legend-previous")) == "Pageviews, the previous 7 days"


def test_today_is_marked_as_partial_in_every_day_chart(client, token):
    for period in ["7d", "30d", "90d", "365d"]:
        html = page(client, token, period=period)
        days = html.select(".chart-plot .day")
        assert [day for day in days if "is-partial" in day["class"]] == [days[-1]]
        assert days[-1]["data-label"] == "Wed 18 Mar 2026 (so far)"
        assert text(html.select_one(".legend-partial")) == "Today so far"
        assert "still in progress" in text(html.select_one(".partial-note"))


def test_24_hours_are_24_hourly_buckets_adding_up_to_the_headline(client, token):
    html = page(client, token, period="24h")

    assert text(html.select_one("#chart-heading")) == "Visitors and pageviews per hour"
    days = html.select(".chart-plot .day")
    assert len(days) == 25
    assert days[0]["data-label"] == "Tue 17 Mar, 15:30\u201316:00 (part of the hour)"
    assert days[1]["data-label"] == "Tue 17 Mar, 16:00\u201317:00"
    assert days[24]["data-label"] == "Wed 18 Mar, 15:00\u201315:30 (so far)"
    counted = {index: day["data-pageviews"] for index, day in enumerate(days) if day["data-pageviews"] != "0"}
    assert counted == {19: "3", 20: "1", 21: "1"}
    assert text(html.select_one('[data-metric="pageviews"] .metric-value')) == "5"
    assert html.select(".chart-plot .day.is-partial") == [days[0], days[24]]
    assert text(html.select_one(".legend-partial")) == "Part of an hour"
    assert text(html.select_one(".partial-note")) == (
        "The first and the last hour are partial: their bars (hatched) count only the part of the hour within "
        "these 24 hours."
    )
    assert "Busiest hour: Wed 18 Mar, 10:00\u201311:00, with 3 pageviews" in text(html.select_one("#chart-summary"))
    # Every fourth clock hour is labelled, midnight with its date; phones keep every eighth (the others minor).
    ticks = [(text(tick), tick.get("class") == ["minor"]) for tick in html.select(".chart-x text")]
    assert ticks == [
        ("16:00", False), ("20:00", True), ("Wed 18", False), ("04:00", True), ("08:00", False), ("12:00", True),
    ]  # fmt: skip
    rows = [[text(cell) for cell in row.select("th, td")] for row in html.select(".chart-data tbody tr")]
    assert rows[9][:3] == ["Wed 18 Mar, 00:00\u201301:00", "0", "0"]
    assert rows[19][:3] == ["Wed 18 Mar, 10:00\u201311:00", "3", "1"]
    # The previous 24 hours hold visitor 3's three pageviews of 03-17 09:00-10:00: clock hours 18 and 19 before.
    previous = {
        i: day["data-previous-pageviews"] for i, day in enumerate(days) if day["data-previous-pageviews"] != "0"
    }
    assert previous == {18: "2", 19: "1"}


def test_the_numbers_are_explained_in_a_sentence_where_a_reader_needs_it(client, token):
    html = page(client, token, period="7d")

    assert "someone who comes back on another day counts again" in text(html.select_one('[data-metric="visitors"]'))
    note = text(html.select_one('[data-breakdown="referrers"] .section-note'))
    assert "\u201cDirect / none\u201d means no referring site" in note
    assert "utm_source" in note
    sources = {
        text(row.select_one(".label-text")): text(row.select_one(".tag")) if row.select_one(".tag") else ""
        for row in html.select('[data-breakdown="referrers"] tbody tr')
    }
    assert sources == {
        "google.com": "",
        "Direct / none": "",
        "news.ycombinator.com": "",
        "newsletter campaign": "campaign",
    }


def test_the_owner_dashboard_shows_the_same_comparisons_and_hours(owner_client, owner, site):
    SiteMembership.objects.create(site=site, user=owner, role=SiteRole.OWNER)

    response = owner_client.get(f"/admin/analytics/site/{site.pk}/dashboard/", {"period": "24h"})
    html = BeautifulSoup(response.content.decode(), "html.parser")

    assert response.status_code == 200
    assert len(html.select(".chart-plot .day")) == 25
    assert text(html.select_one('[data-metric="pageviews"] .metric-change')) == (
        "\u25b2 +67% vs the previous 24 hours (3)"
    )


def no_arrow(html) -> bool:
    return not any("\u25b2" in change or "\u25bc" in change for change in changes(html).values())


def test_a_flat_week_read_just_after_midnight_shows_no_change(client, monkeypatch, db):
    """Every day 00:10 and 00:20 (one visitor, 600 s), 08:30 and 18:00 (two bounces), 1-17 March; read at 00:05 on
    the 18th: six whole days each side, 18 visitors, 24 pageviews, 12 of 18 sessions bounced, 3,600 s / 18."""
    site = SiteFactory(domain="flat.example")
    visits = []
    for day in range(1, 18):
        for clock, visitor in [("00:10", 0), ("00:20", 0), ("08:30", 1), ("18:00", 2)]:
            visits.append((day * 3 + visitor, f"2026-03-{day:02d}T{clock}", "/", "direct", "desktop", "Chrome", "US"))
    record_visits(site, visits)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 18, 0, 5, tzinfo=dt.UTC))

    html = page(client, ShareTokenFactory(site=site), period="7d")

    assert changes(html) == {
        "visitors": "\u00b10% vs the previous 7 days (18)",
        "pageviews": "\u00b10% vs the previous 7 days (24)",
        "bounce": "\u00b10.0 pts vs the previous 7 days (66.7%)",
        "duration": "\u00b10% vs the previous 7 days (3m 20s)",
    }
    assert {card.select_one(".metric-change")["class"][1] for card in html.select("[data-metric]")} == {"trend-flat"}


def test_with_nothing_in_the_previous_period_counts_are_new_and_the_bounce_rate_shows_no_change(client, frozen_now):
    """Today only: visitor 1 at 10:00 and 10:05 (300 s), visitor 2's bounce at 11:00."""
    site = SiteFactory(domain="new.example")
    record_visits(
        site,
        [
            (1, "2026-03-18T10:00", "/", "direct", "desktop", "Chrome", "US"),
            (1, "2026-03-18T10:05", "/a", "direct", "desktop", "Chrome", "US"),
            (2, "2026-03-18T11:00", "/", "direct", "desktop", "Chrome", "US"),
        ],
    )

    html = page(client, ShareTokenFactory(site=site), period="7d")

    assert text(html.select_one('[data-metric="bounce"] .metric-value')) == "50.0%"
    assert html.select_one('[data-metric="bounce"] .metric-change') is None
    assert {key: change for key, change in changes(html).items() if key != "bounce"} == {
        "visitors": "new vs the previous 7 days (0)",
        "pageviews": "new vs the previous 7 days (0)",
        "duration": "new vs the previous 7 days (0s)",
    }
    assert no_arrow(html)
