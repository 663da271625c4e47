"""Deleting a site: every row of it goes, including those a batch is writing at that moment.

The tables every batch writes keep no foreign-key constraint to the site
(`analytics.models.hot_table_site`); the writers check under the sites' roll-up locks instead.
"""

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from analytics.counting.counters import SiteDeleted
from analytics.counting.periods import build_period_totals
from analytics.models import (
    Breakdown,
    DailyRollup,
    HourlyBreakdown,
    HourlyRollup,
    Pageview,
    PeriodTotal,
    PeriodWindow,
    Session,
    Site,
)
from analytics.services import NewPageview, record_batch, record_pageviews
from tests.factories import SiteFactory

HOT_TABLES = (Pageview, Session, DailyRollup, Breakdown, PeriodTotal, PeriodWindow, HourlyRollup, HourlyBreakdown)
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def pageview(visitor_id: int, minute: int = 0, path: str = "/") -> NewPageview:
    return NewPageview(NOON + dt.timedelta(minutes=minute), visitor_id, path, "direct", "desktop", "Firefox", "DE")


def rows_of(site_id: int) -> dict[str, int]:
    return {model.__name__: model.objects.filter(site_id=site_id).count() for model in HOT_TABLES}


@pytest.mark.django_db
def test_deleting_a_site_deletes_its_rows_in_every_table_and_no_other_site_s():
    kept, deleted = SiteFactory(domain="kept.example"), SiteFactory(domain="deleted.example")
    for site in (kept, deleted):
        record_pageviews(site=site, pageviews=[pageview(1), pageview(1, minute=5, path="/b"), pageview(2)])
        with transaction.atomic():
            build_period_totals(site=site, now=NOON)
    deleted_id = deleted.pk
    assert all(rows_of(deleted_id).values()), rows_of(deleted_id)

    deleted.delete()

    assert rows_of(deleted_id) == {model.__name__: 0 for model in HOT_TABLES}
    # 3 pageviews, 2 sessions (visitors 1 and 2), 1 day; per period one row per value: paths / and /b, source
    # direct, device desktop, browser Firefox, country DE = 6 values in each of 4 periods.
    assert rows_of(kept.pk)["Pageview"] == 3
    assert rows_of(kept.pk)["Session"] == 2
    assert rows_of(kept.pk)["DailyRollup"] == 1
    assert rows_of(kept.pk)["PeriodWindow"] == 4


@pytest.mark.django_db
def test_a_batch_for_a_site_deleted_after_it_was_read_writes_nothing():
    site = SiteFactory(domain="gone.example")
    read_before_deletion = Site.objects.get(pk=site.pk)  # as the ingest worker reads its batch's sites
    Site.objects.filter(pk=site.pk).delete()

    with pytest.raises(SiteDeleted):
        record_batch([(read_before_deletion, [pageview(1), pageview(2)])])

    assert rows_of(site.pk) == {model.__name__: 0 for model in HOT_TABLES}


@pytest.mark.django_db
def test_a_batch_of_several_sites_one_of_them_deleted_writes_none_of_them():
    """One transaction: the batch is retried whole, and the worker then leaves the deleted site out."""
    kept, gone = SiteFactory(domain="kept.example"), SiteFactory(domain="gone.example")
    gone_as_read = Site.objects.get(pk=gone.pk)
    gone.delete()

    with pytest.raises(SiteDeleted):
        record_batch([(kept, [pageview(1)]), (gone_as_read, [pageview(2)])])

    assert Pageview.objects.count() == 0


@pytest.mark.django_db
def test_deleting_a_site_another_transaction_deleted_already_is_a_no_op():
    """Two admins delete one site: the second deletion finds nothing left to delete, as Django's does, and no
    writer's check (`lock_sites`) turns it into an error."""
    site = SiteFactory(domain="twice.example")
    site_id = site.pk
    record_pageviews(site=site, pageviews=[pageview(1)])
    second_admin_s_copy = Site.objects.get(pk=site.pk)
    site.delete()

    deleted, _ = second_admin_s_copy.delete()

    assert deleted == 0
    assert rows_of(site_id) == {model.__name__: 0 for model in HOT_TABLES}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_batch_waiting_while_its_site_is_deleted_fails_and_leaves_no_row():
    """The deletion holds the site's roll-up lock from before its first `DELETE` until it commits; a batch that wrote
    its raw rows meanwhile waits for the lock, then finds the site gone and rolls back."""
    site = SiteFactory(domain="gone.example")
    site_id = site.pk
    record_pageviews(site=site, pageviews=[pageview(1)])
    deletion_locked, batch_done = threading.Event(), threading.Event()
    outcome: list[object] = []

    def write_batch() -> None:
        try:
            deletion_locked.wait(10)
            record_batch([(site, [pageview(2, minute=1), pageview(3, minute=2)])])
            outcome.append("written")
        except SiteDeleted as error:
            outcome.append(error)
        finally:
            batch_done.set()
            connections.close_all()

    writer = threading.Thread(target=write_batch)
    writer.start()
    with transaction.atomic():
        Site.objects.get(pk=site_id).delete()  # pre_delete took the lock; the rows are deleted, not yet committed
        deletion_locked.set()
        assert not batch_done.wait(1.0), "the batch must wait for the deletion's lock"
    writer.join(10)

    assert len(outcome) == 1 and isinstance(outcome[0], SiteDeleted)
    assert rows_of(site_id) == {model.__name__: 0 for model in HOT_TABLES}
