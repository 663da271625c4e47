"""What is happening on a site right now: visitors of the last five minutes and the latest pageview.

"Now" is 2026-03-18 15:30:00 UTC. Pageviews of the site (visitor, time):
  7 at 15:24:59 (just outside the five minutes), 8 at 15:25:01 and 15:29:00, 9 at 15:29:50,
  10 at 15:30:05 (after now: not counted, not the latest).
Another owner's site has visitor 11 at 15:29:59. So: 2 visitors (8 and 9), last pageview 15:29:50, 10 s ago.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.live import live_activity
from analytics.models import Pageview
from analytics.services import record_pageview
from tests.factories import SiteFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-03-18T{text}").replace(tzinfo=dt.UTC)


@pytest.fixture
def busy_site(site):
    for visitor, moment in [(7, "15:24:59"), (8, "15:25:01"), (8, "15:29:00"), (9, "15:29:50"), (10, "15:30:05")]:
        record_pageview(site=site, timestamp=at(moment), visitor_id=visitor, path="/")
    record_pageview(site=SiteFactory(), timestamp=at("15:29:59"), visitor_id=11, path="/")
    return site


def test_counts_distinct_visitors_of_the_last_five_minutes_and_the_latest_pageview(busy_site):
    activity = live_activity(site=busy_site, now=NOW)

    assert activity.visitors_last_5_minutes == 2
    assert activity.last_pageview_at == at("15:29:50")
    assert activity.seconds_since_last_pageview == 10


def test_a_site_without_pageviews_has_none_yet(site):
    activity = live_activity(site=site, now=NOW)

    assert (activity.visitors_last_5_minutes, activity.last_pageview_at) == (0, None)
    assert activity.seconds_since_last_pageview is None


def test_an_hour_later_nobody_is_live_but_the_last_pageview_stays(busy_site):
    activity = live_activity(site=busy_site, now=NOW + dt.timedelta(hours=1))

    assert activity.visitors_last_5_minutes == 0
    assert activity.last_pageview_at == at("15:30:05")
    assert activity.seconds_since_last_pageview == 3595


def live_plans(site) -> list[str]:
    """The plan of each query `live_activity` runs (the captured SQL has its parameters filled in)."""
    with CaptureQueriesContext(connection) as queries:
        live_activity(site=site, now=NOW)
    assert len(queries.captured_queries) == 2
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            postgres = connection.vendor == "postgresql"
            cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + query["sql"])
            plans.append("\n".join(str(row[0] if postgres else row[-1]) for row in cursor.fetchall()))
    return plans


def test_both_reads_search_the_site_timestamp_index_on_sqlite(busy_site):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan wording; PostgreSQL has its own test below")
    plans = live_plans(busy_site)

    searches = [
        re.search(r"SEARCH analytics_pageview USING (COVERING )?INDEX pageview_site_timestamp", p) for p in plans
    ]
    assert all(searches), plans
    assert not any("SCAN analytics_pageview" in plan for plan in plans)


@pytest.mark.postgres
def test_both_reads_stay_on_the_site_timestamp_index_on_postgresql_among_many_rows(site):
    """200,000 pageviews over 100 days on two sites, then ANALYZE: the planner must still walk the index.

    On 10M rows (bench/generate) the same plans hold; the docs cite the figures."""
    other = SiteFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Pageview._meta.db_table} (site_id, visitor_id, timestamp, path)
            SELECT CASE WHEN n %% 2 = 0 THEN %s ELSE %s END, n %% 5000, %s - n * interval '43 seconds', '/'
            FROM generate_series(1, 200000) AS n""",
            [site.pk, other.pk, NOW],
        )
        cursor.execute(f"ANALYZE {Pageview._meta.db_table}")

    plans = live_plans(site)

    for plan in plans:
        assert "pageview_site_timestamp" in plan, plan
        assert "Seq Scan" not in plan, plan
    assert live_activity(site=site, now=NOW).visitors_last_5_minutes == 3  # n = 2, 4, 6: 86, 172, 258 s before now
