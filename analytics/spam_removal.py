"""Removing stored spam from a site's numbers once its owner blocks a source or a path.

Blocking stops new events at ingestion (`analytics.blocklists`); what was stored before
is removed here: every session from a blocked source, and every session that touched a
blocked path, with all their pageviews. Whole sessions go, never single pageviews, so
no session is left with counts its pageviews do not add up to. The site's rollups are
then counted again from the raw rows that are left (`rebuild_site_rollups`, after
forgetting the rollups from the first removed session's day on), in the same
transaction, so no reader sees the raw rows and the numbers disagree. Days whose raw
rows were pruned keep their rollups: spam counted in them stays.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q

from analytics.blocklists import PREFIX, entries, source_entries
from analytics.models import Pageview, Session, Site
from analytics.rollups import forget_rollups_from, lock_site, rebuild_site_rollups

DELETE_BATCH = 5000  # session ids per statement, under SQLite's limit of bound parameters


@dataclass(frozen=True)
class RemovedSpam:
    sessions: int
    pageviews: int


def blocked_sources_q(text: str) -> Q | None:
    query = None
    for entry in source_entries(text):
        match = Q(source__iexact=entry) | Q(source__iendswith="." + entry)
        query = match if query is None else query | match
    return query


def blocked_paths_q(text: str) -> Q | None:
    query = None
    for entry in entries(text):
        match = Q(path__startswith=entry[: -len(PREFIX)]) if entry.endswith(PREFIX) else Q(path=entry)
        query = match if query is None else query | match
    return query


def remove_blocked_traffic(*, site: Site, now: dt.datetime) -> RemovedSpam:
    """Delete the site's stored sessions (and pageviews) its blocklists match, then recount its rollups."""
    if site.pk is None:
        raise ValidationError("Save the site before removing its blocked traffic.")
    by_source = blocked_sources_q(site.blocked_sources)
    by_path = blocked_paths_q(site.blocked_paths)
    if by_source is None and by_path is None:
        return RemovedSpam(sessions=0, pageviews=0)
    doomed = Q(pk__in=[])
    if by_source is not None:
        doomed |= by_source
    if by_path is not None:
        doomed |= Q(Exists(pageviews_of_session().filter(by_path)))
    with transaction.atomic():
        lock_site(site)
        sessions = Session.objects.filter(doomed, site=site)
        first = sessions.aggregate(first=Min("started_at"))["first"]
        if first is None:
            return RemovedSpam(sessions=0, pageviews=0)
        # Their ids first: once their pageviews are gone, a session no longer matches a blocked path.
        doomed_ids = list(sessions.values_list("pk", flat=True))
        pageviews = removed = 0
        for start in range(0, len(doomed_ids), DELETE_BATCH):
            batch = doomed_ids[start : start + DELETE_BATCH]
            in_batch = Session.objects.filter(
                pk__in=batch,
                visitor_id=OuterRef("visitor_id"),
                started_at__lte=OuterRef("timestamp"),
                ended_at__gte=OuterRef("timestamp"),
            )
            pageviews += Pageview.objects.filter(Exists(in_batch), site=site).delete()[0]
            removed += Session.objects.filter(pk__in=batch, site=site).delete()[0]
        # The rebuild recounts from the first pageview left; the days before it that held only spam are
        # forgotten here (they are raw days: pruning only ever removes the oldest).
        forget_rollups_from(site=site, first=first.astimezone(site.tzinfo).date())
        rebuild_site_rollups(site=site, now=now)
    return RemovedSpam(sessions=removed, pageviews=pageviews)


def pageviews_of_session():
    """The pageviews of the session being filtered (an `OuterRef` to it): its visitor's, within its span."""
    return Pageview.objects.filter(
        site_id=OuterRef("site_id"),
        visitor_id=OuterRef("visitor_id"),
        timestamp__gte=OuterRef("started_at"),
        timestamp__lte=OuterRef("ended_at"),
    )
