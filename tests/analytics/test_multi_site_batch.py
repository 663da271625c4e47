"""One batch of pageviews of several sites, in several time zones, written in one set of statements.

Counted by hand. Visitor 7 visits two sites; its id is the same number on both, which
must not join them:

- a.example (Berlin, UTC+1): 09:00 UTC `/` from google.com, 09:20 UTC `/docs` — one
  session of 2 pageviews on 2026-01-15 local, 1,200 s, entered at `/`, left at `/docs`.
- b.example (Tokyo, UTC+9): `/early` at 14:30 UTC (23:30 local, 2026-01-15) is stored by
  an earlier batch; this batch brings `/` at 14:50 UTC (23:50) and `/x` at 15:10 UTC (00:10
  on 2026-01-16). The 14:50 pageview joins the stored one's session (a 20-minute gap):
  2026-01-15 has one session of 2 pageviews, 1,200 s, no bounce; 2026-01-16 one bounce.
"""

import pytest

from analytics.counting.verify import verify_site
from analytics.event_queue import QueuedPageview
from analytics.ingest_worker import write_batch
from analytics.models import Breakdown, DailyRollup, Dimension, Pageview, Session
from analytics.services import NewPageview, record_batch, record_pageviews
from tests.analytics.traffic import utc
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NOW = utc("2026-01-16T01:00")
A_PAGEVIEWS = [
    NewPageview(utc("2026-01-15T09:00"), 7, "/", "google.com", event_id="a-1"),
    NewPageview(utc("2026-01-15T09:20"), 7, "/docs", event_id="a-2"),
]
B_STORED = NewPageview(utc("2026-01-15T14:30"), 7, "/early", event_id="b-0")
B_PAGEVIEWS = [
    NewPageview(utc("2026-01-15T14:50"), 7, "/", event_id="b-1"),
    NewPageview(utc("2026-01-15T15:10"), 7, "/x", event_id="b-2"),
]


@pytest.fixture
def sites():
    berlin = SiteFactory(domain="a.example", timezone="Europe/Berlin")
    tokyo = SiteFactory(domain="b.example", timezone="Asia/Tokyo")
    record_pageviews(site=tokyo, pageviews=[B_STORED])
    return berlin, tokyo


def days_of(site) -> list[tuple]:
    return list(
        DailyRollup.objects.filter(site=site)
        .order_by("day")
        .values_list("day", "pageviews", "visitors", "sessions", "bounces", "duration")
    )


def assert_counted_by_hand(berlin, tokyo) -> None:
    assert [(str(day), *counts) for day, *counts in days_of(berlin)] == [("2026-01-15", 2, 1, 1, 0, 1200)]
    assert [(str(day), *counts) for day, *counts in days_of(tokyo)] == [
        ("2026-01-15", 2, 1, 1, 0, 1200),
        ("2026-01-16", 1, 1, 1, 1, 0),
    ]
    tokyo_paths = Breakdown.objects.filter(site=tokyo, dimension=Dimension.PATH)
    assert sorted((str(row.start), row.value, row.pageviews, row.visitors) for row in tokyo_paths) == [
        ("2026-01-15", "/", 1, 1),
        ("2026-01-15", "/early", 1, 1),
        ("2026-01-16", "/x", 1, 1),
    ]
    assert list(Session.objects.filter(site=berlin).values_list("entry_path", "exit_path", "source", "pageviews")) == [
        ("/", "/docs", "google.com", 2)
    ]
    assert sorted(Session.objects.filter(site=tokyo).values_list("entry_path", "exit_path", "pageviews")) == [
        ("/early", "/", 2),
        ("/x", "/x", 1),
    ]
    assert verify_site(site=berlin, now=NOW, days=3) == []
    assert verify_site(site=tokyo, now=NOW, days=3) == []


def test_a_batch_of_two_sites_counts_each_in_its_own_time_zone_and_never_mixes_their_visitors(sites):
    berlin, tokyo = sites

    stored = record_batch([(berlin, A_PAGEVIEWS), (tokyo, B_PAGEVIEWS)])

    assert sorted(row.event_id for row in stored) == ["a-1", "a-2", "b-1", "b-2"]
    assert_counted_by_hand(berlin, tokyo)


def test_a_batch_of_two_sites_written_again_changes_nothing(sites):
    berlin, tokyo = sites
    record_batch([(berlin, A_PAGEVIEWS), (tokyo, B_PAGEVIEWS)])

    assert record_batch([(tokyo, B_PAGEVIEWS), (berlin, A_PAGEVIEWS)]) == []

    assert Pageview.objects.count() == 5
    assert_counted_by_hand(berlin, tokyo)


def test_the_ingest_worker_writes_a_mixed_batch_with_a_repeated_entry_once(sites):
    berlin, tokyo = sites
    queued = [
        QueuedPageview(tokyo.pk, B_PAGEVIEWS[1]),
        QueuedPageview(berlin.pk, A_PAGEVIEWS[1]),
        QueuedPageview(tokyo.pk, B_PAGEVIEWS[0]),
        QueuedPageview(berlin.pk, A_PAGEVIEWS[0]),
        QueuedPageview(berlin.pk, A_PAGEVIEWS[0]),  # claimed twice
    ]

    assert write_batch(queued) == 4

    assert_counted_by_hand(berlin, tokyo)
