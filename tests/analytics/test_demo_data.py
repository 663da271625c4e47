import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from analytics.demo import seed_demo_traffic
from analytics.models import Pageview, Session, Site
from analytics.services import record_pageview
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
SESSION_FIELDS = (
    "visitor_id", "started_at", "ended_at", "duration", "pageviews", "entry_path", "exit_path",
    "source", "device_type", "browser", "country",
)  # fmt: skip


def session_rows(site):
    return sorted(Session.objects.filter(site=site).values_list(*SESSION_FIELDS))


def test_bulk_demo_rows_equal_what_the_recording_service_writes():
    bulk_site, replay_site = SiteFactory(timezone="Europe/Berlin"), SiteFactory(timezone="Europe/Berlin")
    seed_demo_traffic(site=bulk_site, now=NOW, days=3, visitors_per_day=40, seed=3)

    for pageview in Pageview.objects.filter(site=bulk_site).order_by("timestamp", "id"):
        record_pageview(
            site=replay_site,
            timestamp=pageview.timestamp,
            visitor_id=pageview.visitor_id,
            path=pageview.path,
            source=pageview.source,
            device_type=pageview.device_type,
            browser=pageview.browser,
            country=pageview.country,
        )

    assert Session.objects.filter(site=bulk_site).count() > 50
    assert session_rows(bulk_site) == session_rows(replay_site)


def test_demo_traffic_is_deterministic_and_realistic():
    first, second = SiteFactory(domain="same.example"), SiteFactory(domain="other.example")
    seed_demo_traffic(site=first, now=NOW, days=14, visitors_per_day=60, seed=5)
    rows = session_rows(first)
    Pageview.objects.filter(site=first).delete()
    Session.objects.filter(site=first).delete()
    seed_demo_traffic(site=first, now=NOW, days=14, visitors_per_day=60, seed=5)
    seed_demo_traffic(site=second, now=NOW, days=14, visitors_per_day=60, seed=5)

    assert session_rows(first) == rows
    assert session_rows(second) != rows
    sessions = Session.objects.filter(site=first)
    assert set(sessions.values_list("device_type", flat=True)) == {"desktop", "mobile", "tablet"}
    assert {"direct", "google.com", "newsletter"} <= set(sessions.values_list("source", flat=True))
    assert sessions.filter(pageviews=1).exists() and sessions.filter(pageviews__gte=3).exists()
    assert not Pageview.objects.filter(site=first, timestamp__gte=NOW).exists()


def test_seed_command_creates_the_site_and_keeps_existing_data_with_if_empty():
    UserFactory(username="admin")
    out = StringIO()
    call_command("seed_demo_data", "--site", "demo.example", "--days", "2", "--visitors-per-day", "20", stdout=out)
    count = Pageview.objects.count()

    call_command("seed_demo_data", "--site", "demo.example", "--days", "2", "--if-empty", stdout=out)

    assert Site.objects.get().domain == "demo.example"
    assert count > 0
    assert Pageview.objects.count() == count
    assert "keeping it" in out.getvalue()


def test_seeding_shows_its_progress_a_line_per_tenth_when_not_on_a_terminal():
    UserFactory(username="admin")
    out = StringIO()

    call_command("seed_demo_data", "--site", "demo.example", "--days", "4", "--visitors-per-day", "5", stdout=out)

    assert out.getvalue().splitlines()[:4] == [
        "Seeding demo.example [#######-----------------------]  25% (1/4 days)",
        "Seeding demo.example [###############---------------]  50% (2/4 days)",
        "Seeding demo.example [######################--------]  75% (3/4 days)",
        "Seeding demo.example [##############################] 100% (4/4 days), then rolling up",
    ]
