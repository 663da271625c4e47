"""Removing stored spam from a site's numbers once its owner blocks a source or a path.

Blocking stops new events at ingestion (`analytics.blocklists`); what was stored before
is removed here: every session from a blocked source, and every session that touched a
blocked path, with all their pageviews. Whole sessions go, never single pageviews, so
no session is left with counts its pageviews do not add up to. Each day they were on is
then counted again from the raw rows left (`recount_stored_day`: its rows, the period
totals counting it, its hourly rows, sessions and marks), in the same transaction, so no
reader sees the raw rows and the numbers disagree. Days whose raw rows were pruned have
no sessions left to match: spam counted in them stays.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from analytics.blocklists import PREFIX, entries, source_entries
from analytics.counting.counters import lock_site
from analytics.counting.rebuild import recount_stored_day
from analytics.models import Pageview, Session, Site

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
    """Delete the site's stored sessions (and pageviews) its blocklists match, then recount the days they were on."""
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
        # Ids and days first: once their pageviews are gone, a session no longer matches a blocked path.
        doomed_sessions = list(Session.objects.filter(doomed, site=site).values_list("pk", "started_at"))
        pageviews = 0
        for start in range(0, len(doomed_sessions), DELETE_BATCH):
            batch = [pk for pk, _ in doomed_sessions[start : start + DELETE_BATCH]]
            in_batch = Session.objects.filter(
                pk__in=batch,
                visitor_id=OuterRef("visitor_id"),
                started_at__lte=OuterRef("timestamp"),
                ended_at__gte=OuterRef("timestamp"),
            )
            pageviews += Pageview.objects.filter(Exists(in_batch), site=site).delete()[0]
        for day in sorted({started_at.astimezone(site.tzinfo).date() for _, started_at in doomed_sessions}):
            recount_stored_day(site=site, day=day)
    return RemovedSpam(sessions=len(doomed_sessions), pageviews=pageviews)


def pageviews_of_session():
    """The pageviews of the session being filtered (an `OuterRef` to it): its visitor's, within its span."""
    return Pageview.objects.filter(
        site_id=OuterRef("site_id"),
        visitor_id=OuterRef("visitor_id"),
        timestamp__gte=OuterRef("started_at"),
        timestamp__lte=OuterRef("ended_at"),
    )
