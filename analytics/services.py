"""Writing collected data: one pageview at a time, keeping its session right."""

import datetime as dt

from django.db import connection, transaction

from analytics.models import PATH_MAX_LENGTH, DeviceType, Pageview, Session, Site

SESSION_TIMEOUT = dt.timedelta(minutes=30)


def lock_visitor(*, site_id: int, visitor_id: int) -> None:
    """Serialise concurrent pageviews of one visitor so they never open two sessions.

    PostgreSQL takes a transaction-scoped advisory lock on the (site, visitor) pair;
    SQLite already runs one write transaction at a time (IMMEDIATE mode).
    """
    if connection.vendor == "postgresql":
        key = (visitor_id ^ (site_id * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 64) if key >= 1 << 63 else key])


def record_pageview(
    *,
    site: Site,
    timestamp: dt.datetime,
    visitor_id: int,
    path: str,
    source: str = "direct",
    device_type: str = DeviceType.DESKTOP,
    browser: str = "",
    country: str = "",
) -> Pageview:
    """Store one pageview and attach it to the visitor's session.

    A pageview joins the visitor's session when it comes less than 30 minutes
    after that session's last pageview (or, arriving late, less than 30 minutes
    before its first); otherwise it opens a new session, which takes its source,
    device, browser and country from this first pageview.
    """
    path = path[:PATH_MAX_LENGTH]
    with transaction.atomic():
        lock_visitor(site_id=site.pk, visitor_id=visitor_id)
        session = (
            Session.objects.select_for_update()
            .filter(
                site=site,
                visitor_id=visitor_id,
                ended_at__gt=timestamp - SESSION_TIMEOUT,
                started_at__lt=timestamp + SESSION_TIMEOUT,
            )
            .order_by("-ended_at")
            .first()
        )
        if session is None:
            session = Session.objects.create(
                site=site,
                visitor_id=visitor_id,
                started_at=timestamp,
                ended_at=timestamp,
                duration=0,
                pageviews=1,
                entry_path=path,
                exit_path=path,
                source=source,
                device_type=device_type,
                browser=browser,
                country=country,
            )
        else:
            extend_session(session, timestamp=timestamp, path=path)
        return Pageview.objects.create(
            site=site, session=session, visitor_id=visitor_id, timestamp=timestamp, path=path
        )


def extend_session(session: Session, *, timestamp: dt.datetime, path: str) -> None:
    if timestamp < session.started_at:
        session.started_at = timestamp
        session.entry_path = path
    if timestamp >= session.ended_at:
        session.ended_at = timestamp
        session.exit_path = path
    session.pageviews += 1
    session.duration = int((session.ended_at - session.started_at).total_seconds())
    session.save(update_fields=["started_at", "ended_at", "entry_path", "exit_path", "pageviews", "duration"])
