"""The random salt of each calendar date, kept only while some site can still be on that date."""

import datetime as dt
import secrets

from analytics.models import VisitorSalt

# Local time runs from UTC-12 to UTC+14: at any instant the sites of the world are on
# up to three dates, and the last of them to leave a date is 12 hours behind UTC.
WESTMOST_UTC_OFFSET = dt.timedelta(hours=-12)

_held_salts: dict[dt.date, str] = {}


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
    salt, created = VisitorSalt.objects.get_or_create(day=day, defaults={"value": secrets.token_hex(32)})
    if created:
        prune_salts(now=now)
    live_from = earliest_live_date(now=now)
    # `list()` copies the keys at once: a web worker's other threads may add a salt meanwhile.
    for old_day in [held_day for held_day in list(_held_salts) if held_day < live_from]:
        _held_salts.pop(old_day, None)
    _held_salts[day] = salt.value
    return salt.value


def forget_held_salts() -> None:
    _held_salts.clear()


def prune_salts(*, now: dt.datetime) -> int:
    """Delete salts of dates no site is on any more, so their visitor ids can never be recomputed."""
    deleted, _ = VisitorSalt.objects.filter(day__lt=earliest_live_date(now=now)).delete()
    return deleted
