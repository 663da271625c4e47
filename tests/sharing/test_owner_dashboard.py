"""The owner's dashboard and setup check in the admin: scoped, live, and one click from a share link.

"Now" is 2026-03-18 15:30 UTC, the site is in Europe/Amsterdam; the traffic is the share page's
fixture (tests/sharing/test_views.py): 7d has 3 visitors and 5 pageviews, 24h 2 and 4. Its last
pageview is at 14:00, 90 minutes before now; nobody visited in the last five minutes.
"""

import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from analytics.services import record_pageview
from sharing.owner_dashboard import ago_text
from sharing.owners import create_site_owner
from tests.analytics.traffic import record_visits
from tests.factories import ShareTokenFactory, SiteFactory
from tests.sharing.test_views import VISITS

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """A settable `timezone.now`, starting at NOW."""
    moments = [NOW]
    monkeypatch.setattr(timezone, "now", lambda: moments[-1])
    return moments


@pytest.fixture
def owned_site(owner, clock):
    site = SiteFactory(owner=owner, domain="olivia.example", nickname="Olivia's Garden", timezone="Europe/Amsterdam")
    record_visits(site, VISITS)
    return site


def dashboard_url(site, period: str | None = None) -> str:
    return f"/admin/analytics/site/{site.pk}/dashboard/" + (f"?period={period}" if period else "")


def check_url(site) -> str:
    return f"/admin/analytics/site/{site.pk}/setup-check/"


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def headline(html: BeautifulSoup, key: str) -> str:
    return text(html.select_one(f'[data-metric="{key}"] .metric-value'))


def test_the_owner_sees_the_share_pages_dashboard_with_every_period(owner_client, owned_site):
    response = owner_client.get(dashboard_url(owned_site))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = parse(response)
    assert text(html.h1) == "Olivia's Garden"
    assert text(html.select_one(".period-label")) == "Last 7 days"
    assert (headline(html, "visitors"), headline(html, "pageviews")) == ("3", "5")
    links = [(text(link), link["href"]) for link in html.select(".periods a")]
    assert [href for _, href in links] == [
        f"/admin/analytics/site/{owned_site.pk}/dashboard/?period={period}"
        for period in ["24h", "7d", "30d", "90d", "365d"]
    ]
    assert text(html.select_one(".computed time")) == "18 Mar 2026, 16:30 CET"


def test_another_period_and_a_nonsense_period(owner_client, owned_site):
    day = parse(owner_client.get(dashboard_url(owned_site, "24h")))
    nonsense = parse(owner_client.get(dashboard_url(owned_site, "7D")))

    assert (headline(day, "visitors"), headline(day, "pageviews")) == ("2", "4")
    assert text(day.select_one(".period-label")) == "Last 24 hours"
    assert text(nonsense.select_one(".period-label")) == "Last 7 days"


def test_another_owners_dashboard_and_setup_check_are_404(client, owned_site):
    stranger = create_site_owner(username="mallory", email="m@example.com", password="a long enough password")
    client.force_login(stranger)

    assert client.get(dashboard_url(owned_site)).status_code == 404
    assert client.get(check_url(owned_site)).status_code == 404
    assert client.get("/admin/analytics/site/999999/dashboard/").status_code == 404


def test_a_superuser_may_open_any_dashboard(admin_client, owned_site):
    assert admin_client.get(dashboard_url(owned_site)).status_code == 200


def test_logged_out_visitors_are_sent_to_the_login(client, owned_site):
    for url in [dashboard_url(owned_site), check_url(owned_site)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"


def test_dashboard_numbers_are_at_most_a_minute_old_while_the_share_page_keeps_five(owner_client, owned_site, clock):
    share = ShareTokenFactory(site=owned_site)
    owner_client.get(dashboard_url(owned_site))
    owner_client.get(f"/share/{share.raw_token}/")
    record_pageview(site=owned_site, timestamp=NOW + dt.timedelta(seconds=10), visitor_id=77, path="/new")

    clock.append(NOW + dt.timedelta(seconds=59))
    owner_at_59 = parse(owner_client.get(dashboard_url(owned_site)))
    clock.append(NOW + dt.timedelta(seconds=61))
    owner_at_61 = parse(owner_client.get(dashboard_url(owned_site)))
    share_at_61 = parse(owner_client.get(f"/share/{share.raw_token}/"))

    assert headline(owner_at_59, "pageviews") == "5"
    assert headline(owner_at_61, "pageviews") == "6"
    assert text(owner_at_61.select_one(".computed time")) == "18 Mar 2026, 16:31 CET"
    assert headline(share_at_61, "pageviews") == "5"
    assert text(share_at_61.select_one(".computed time")) == "18 Mar 2026, 16:30 CET"


def test_the_live_panel_shows_visitors_of_the_last_five_minutes_and_the_last_pageview(owner_client, owned_site):
    quiet = parse(owner_client.get(dashboard_url(owned_site)))
    record_pageview(site=owned_site, timestamp=NOW - dt.timedelta(seconds=200), visitor_id=21, path="/")
    record_pageview(site=owned_site, timestamp=NOW - dt.timedelta(seconds=12), visitor_id=22, path="/")
    live = parse(owner_client.get(dashboard_url(owned_site)))

    assert text(quiet.select_one("#live-visitors")) == "0"
    assert text(quiet.select_one("#live-last")) == "Last pageview received 90 min ago"
    assert text(live.select_one("#live-visitors")) == "2"
    assert text(live.select_one("#live-last")) == "Last pageview received 12 s ago"
    assert live.select_one("[data-live-url]")["data-live-url"] == check_url(owned_site)


def test_a_site_without_pageviews_says_so(owner_client, owner, clock):
    empty = SiteFactory(owner=owner)

    html = parse(owner_client.get(dashboard_url(empty)))

    assert text(html.select_one("#live-last")) == "No pageview yet"
    assert headline(html, "visitors") == "0"


def test_the_dashboard_offers_a_share_link_for_the_period_being_viewed(owner_client, owned_site):
    html = parse(owner_client.get(dashboard_url(owned_site, "90d")))
    button = html.select_one("#new-share-link")

    assert text(button) == "Create a share link for last 90 days"
    assert button["href"] == f"/admin/sharing/sharetoken/add/?site={owned_site.pk}&allowed_periods=90d"
    form = parse(owner_client.get(button["href"]))
    assert [box["value"] for box in form.select("input[name=allowed_periods][checked]")] == ["90d"]
    assert form.select_one(f"select[name=site] option[value='{owned_site.pk}'][selected]")


def test_setup_check_waits_then_reports_pageviews_as_json(owner_client, owner, clock):
    site = SiteFactory(owner=owner)

    waiting = owner_client.get(check_url(site))
    record_pageview(site=site, timestamp=NOW - dt.timedelta(seconds=3), visitor_id=5, path="/")
    receiving = owner_client.get(check_url(site))

    assert waiting.status_code == 200
    assert waiting["Content-Type"] == "application/json"
    assert "no-store" in waiting["Cache-Control"]
    assert json.loads(waiting.content) == {
        "status": "waiting",
        "message": "Waiting for the first pageview…",
        "visitorsLast5Minutes": 0,
        "lastPageviewAt": None,
        "secondsSinceLastPageview": None,
        "lastPageviewText": "No pageview yet",
    }
    assert json.loads(receiving.content) == {
        "status": "receiving",
        "message": "Receiving pageviews. Last pageview received 3 s ago.",
        "visitorsLast5Minutes": 1,
        "lastPageviewAt": "2026-03-18T15:29:57Z",
        "secondsSinceLastPageview": 3,
        "lastPageviewText": "Last pageview received 3 s ago",
    }


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (172799, "47 h"),
        (172800, "2 days"),
    ],
)
def test_how_long_ago_is_written(seconds, words):
    assert ago_text(seconds) == words
