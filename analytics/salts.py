"""The random salt of each calendar date, kept only while some site can still be on that date.

The database holds the salts. Each is also copied to the queue's Redis, expiring when no
site can be on its date any more, so a process started while PostgreSQL is away, or a
date that begins during the outage, still has one: the first process to need a date's
salt then creates it in Redis (`SET NX`, so every process agrees), and the database
takes that value when it answers again.
"""

import datetime as dt
import secrets

from django.db import DatabaseError
from redis.exceptions import RedisError

from analytics.models import VisitorSalt
from analytics.queue_redis import queue_client
from analytics.unavailable import EventsUnavailable

# Local time runs from UTC-12 to UTC+14: at any instant the sites of the world are on
# up to three dates, and the last of them to leave a date is 12 hours behind UTC.
WESTMOST_UTC_OFFSET = dt.timedelta(hours=-12)

COPY_KEY = "glimpse:salt:{day}"

_held_salts: dict[dt.date, str] = {}


class SaltUnavailable(EventsUnavailable):
    """Neither the database nor the Redis copy can give the date's salt."""


def earliest_live_date(*, now: dt.datetime) -> dt.date:
    """The oldest date any site can still be on; the salts of earlier dates can go."""
    return (now.astimezone(dt.UTC) + WESTMOST_UTC_OFFSET).date()


def salt_for(*, day: dt.date, now: dt.datetime) -> str:
    """The salt of `day`, created on first use (race-safe: `day` is unique), then held in this process.

    Creating a date's salt happens about once a day, which makes it the cheap
    moment to delete the salts that are no longer needed. A process holds only the
    salts of dates still live, so it never keeps one the database has deleted.
    """
    held = _held_salts.get(day)
    if held is not None:
        return held
    try:
        salt, created = VisitorSalt.objects.get_or_create(day=day, defaults={"value": copied_salt(day) or new_salt()})
        if created:
            prune_salts(now=now)
        value = salt.value
        copy_salt(day, value, replace=True)
    except DatabaseError:
        value = copy_salt(day, new_salt(), replace=False)
        if value is None:
            raise SaltUnavailable(day) from None
    live_from = earliest_live_date(now=now)
    # `list()` copies the keys at once: a web worker's other threads may add a salt meanwhile.
    for old_day in [held_day for held_day in list(_held_salts) if held_day < live_from]:
        _held_salts.pop(old_day, None)
    _held_salts[day] = value
    return value


def new_salt() -> str:
    return secrets.token_hex(32)


def copy_expires_at(day: dt.date) -> dt.datetime:
    """When the last site leaves `day` (`earliest_live_date` passes it): noon UTC of the next date."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)


def copied_salt(day: dt.date) -> str | None:
    client = queue_client()
    if client is None:
        return None
    try:
        value = client.get(COPY_KEY.format(day=day.isoformat()))
    except RedisError:
        return None
    return value.decode() if value is not None else None


def copy_salt(day: dt.date, value: str, *, replace: bool) -> str | None:
    """Write `value` as the date's copy (if there is none, unless `replace`); the copy's value, None without one."""
    client = queue_client()
    if client is None:
        return None
    key = COPY_KEY.format(day=day.isoformat())
    try:
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, value, exat=copy_expires_at(day), nx=not replace)
        pipeline.get(key)
        copied = pipeline.execute()[1]
    except RedisError:
        return None
    return copied.decode() if copied is not None else None


def forget_held_salts() -> None:
    _held_salts.clear()


def prune_salts(*, now: dt.datetime) -> int:
    """Delete salts of dates no site is on any more, so their visitor ids can never be recomputed."""
    deleted, _ = VisitorSalt.objects.filter(day__lt=earliest_live_date(now=now)).delete()
    return deleted
