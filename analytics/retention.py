"""Deleting raw pageviews and sessions older than the retention, while every period's answer stays the same.

The day periods read only the rollups (`DailyRollup`, `Breakdown`), which never refer
to a raw row, so deleting old raw rows changes no answer of 7d to 365d. `24h` reads raw
rows of today and yesterday (site-local), so the cut always keeps at least two whole
days before today. The cut falls on a site-local midnight: a visitor id, and so a
session, never spans two local days, so every session is either wholly before the cut
or wholly after it, and a day is either entirely raw or entirely gone.

Deletes go one site at a time, in batches of the oldest rows found through the
`(site, timestamp)` and `(site, started_at)` indexes, one short transaction each: no
whole-table scan, no long lock, and ingestion keeps writing in between.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from analytics.models import Pageview, Session, Site
from analytics.periods import local_midnight

MIN_RETENTION_DAYS = 2
DELETE_BATCH = 5000


@dataclass(frozen=True)
class PruneResult:
    sites: int
    pageviews: int
    sessions: int


def retention_days(*, days: int | None = None) -> int:
    """Days of raw data to keep (`days`, else `RAW_RETENTION_DAYS`); 0 keeps everything.

    Fewer than two days would delete raw rows that the last-24-hours answer still reads.
    """
    chosen = settings.RAW_RETENTION_DAYS if days is None else days
    if chosen == 0:
        return 0
    if chosen < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"RAW_RETENTION_DAYS={chosen} would delete raw rows the 24h view reads: use 0 (keep everything) "
            f"or at least {MIN_RETENTION_DAYS}."
        )
    return chosen


def retention_cut(*, site: Site, now: dt.datetime, days: int) -> dt.datetime:
    """The site-local midnight `days` days before today: raw rows before it go, rows from it on stay."""
    today = now.astimezone(site.tzinfo).date()
    return local_midnight(today - dt.timedelta(days=days), site.tzinfo)


def oldest_first_delete(*, table: str, time_column: str, extra: str = "") -> str:
    """DELETE of at most `limit` rows of one site before a cut, chosen oldest first through (site, time)."""
    quote = connection.ops.quote_name
    return (
        f"DELETE FROM {quote(table)} WHERE id IN ("
        f"SELECT id FROM {quote(table)} AS old WHERE old.site_id = %s AND old.{quote(time_column)} < %s{extra} "
        f"ORDER BY old.{quote(time_column)} LIMIT %s)"
    )


def pageview_delete() -> str:
    return oldest_first_delete(table=Pageview._meta.db_table, time_column="timestamp")


def session_delete() -> str:
    """Sessions started before the cut: derived from the pageviews of their visitor-day, which is before it too (the
    cut is a local midnight)."""
    return oldest_first_delete(table=Session._meta.db_table, time_column="started_at")


def delete_in_batches(sql: str, *, site: Site, cut: dt.datetime, batch: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [site.pk, connection.ops.adapt_datetimefield_value(cut), batch])
            count = cursor.rowcount
        deleted += count
        if count < batch:
            return deleted


def prune_site(*, site: Site, cut: dt.datetime, batch: int = DELETE_BATCH) -> tuple[int, int]:
    """Delete `site`'s pageviews before `cut`, then its sessions started before it; returns both counts."""
    pageviews = delete_in_batches(pageview_delete(), site=site, cut=cut, batch=batch)
    sessions = delete_in_batches(session_delete(), site=site, cut=cut, batch=batch)
    return pageviews, sessions


def count_prunable(*, site: Site, cut: dt.datetime) -> tuple[int, int]:
    """What `prune_site` would delete (an index range count each), for a dry run."""
    return (
        Pageview.objects.filter(site=site, timestamp__lt=cut).count(),
        Session.objects.filter(site=site, started_at__lt=cut).count(),
    )


def prune_raw_data(
    *, now: dt.datetime, days: int | None = None, dry_run: bool = False, batch: int = DELETE_BATCH
) -> PruneResult:
    """Delete every site's raw rows older than the retention (see `retention_days`), one site at a time.

    With the retention at 0 nothing is deleted. `dry_run` counts what would go instead.
    """
    keep = retention_days(days=days)
    if keep == 0:
        return PruneResult(sites=0, pageviews=0, sessions=0)
    sites = pageviews = sessions = 0
    for site in Site.objects.order_by("pk"):
        cut = retention_cut(site=site, now=now, days=keep)
        if dry_run:
            site_pageviews, site_sessions = count_prunable(site=site, cut=cut)
        else:
            site_pageviews, site_sessions = prune_site(site=site, cut=cut, batch=batch)
        sites += 1
        pageviews += site_pageviews
        sessions += site_sessions
    return PruneResult(sites=sites, pageviews=pageviews, sessions=sessions)
