"""`rollup_stats --verify`: a recount of recent days from the raw rows, every stored difference listed.

The traffic is the hand-counted table of `tests/analytics/traffic.py` ("now" 2026-03-18 15:30
UTC, a UTC site): 03-18 has visitors 1 and 2 (4 pageviews), 03-17 visitor 3 (3 pageviews).
"""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from analytics.counting.periods import build_period_totals
from analytics.counting.verify import verify_site
from analytics.models import Breakdown, DailyRollup, Dimension, HourlyRollup, Pageview, PeriodTotal, Session

pytestmark = pytest.mark.django_db


def verify(**options) -> str:
    out = io.StringIO()
    call_command("rollup_stats", verify=True, stdout=out, **options)
    return out.getvalue()


def test_counts_written_by_batches_verify_clean(visited_site, frozen_now):
    build_period_totals(site=visited_site, now=frozen_now)

    assert verify(days=8).splitlines() == ["Checked 1 site(s) over 8 day(s): 0 difference(s)."]


def test_every_kind_of_stored_difference_is_listed_and_fails_the_command(visited_site, frozen_now):
    build_period_totals(site=visited_site, now=frozen_now)
    DailyRollup.objects.filter(site=visited_site, day=dt.date(2026, 3, 18)).update(pageviews=5)
    Breakdown.objects.filter(
        site=visited_site, start=dt.date(2026, 3, 17), dimension=Dimension.PATH, value="/blog"
    ).update(visitors=2)
    Session.objects.filter(site=visited_site, visitor_id=2).delete()
    Pageview.objects.filter(site=visited_site, visitor_id=3, path="/blog").update(last_of_visitor=False)
    HourlyRollup.objects.filter(site=visited_site, hour=dt.datetime(2026, 3, 18, 11, tzinfo=dt.UTC)).update(visitors=0)
    PeriodTotal.objects.filter(site=visited_site, dimension=Dimension.PATH, value="/").update(pageviews_7=40)

    differences = verify_site(site=visited_site, now=frozen_now, days=2)

    found = [(difference.what, difference.stored, difference.recounted) for difference in differences]
    assert ("day", [5, 2, 2, 1, 1200], [4, 2, 2, 1, 1200]) in found
    assert ("value", [1, 2, 0], [1, 1, 0]) in found
    assert ("hour", [1, 0, 1, 1, 0], [1, 1, 1, 1, 0]) in found
    assert ("7-day total", [40, 3, 0], [4, 3, 0]) in found
    assert {"session", "marks of pageview"} <= {difference.what for difference in differences}
    # The changed day row of /blog also no longer adds up to each period's total of /blog.
    for days in (7, 30, 90, 365):
        assert (f"{days}-day total", [1, 1, 0], [1, 2, 0]) in found
    assert len(differences) == 10
    with pytest.raises(CommandError, match="rollup_stats --rebuild"):
        verify(days=2, site=[visited_site.domain])


def test_a_rebuild_repairs_what_verify_found(visited_site, frozen_now):
    DailyRollup.objects.filter(site=visited_site, day=dt.date(2026, 3, 18)).update(pageviews=5)
    Session.objects.filter(site=visited_site).delete()

    call_command("rollup_stats", rebuild=True, stdout=io.StringIO())

    assert verify(days=8).endswith("0 difference(s).\n")


def test_an_unknown_site_is_an_error(db):
    with pytest.raises(CommandError, match=r"No site with domain nowhere\.example"):
        verify(site=["nowhere.example"])
