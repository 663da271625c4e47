"""The periods a client may ask for, and the time window each one covers (docs/definitions.md, "Periods")."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy


class Period(models.TextChoices):
    """The five periods, declared in their canonical order, each with its label and length."""

    HOURS_24 = "24h", gettext_lazy("Last 24 hours")
    DAYS_7 = "7d", gettext_lazy("Last 7 days")
    DAYS_30 = "30d", gettext_lazy("Last 30 days")
    DAYS_90 = "90d", gettext_lazy("Last 90 days")
    DAYS_365 = "365d", gettext_lazy("Last 365 days")

    @property
    def days(self) -> int | None:
        """How many calendar days a day period covers; None for the rolling 24 hours."""
        return None if self is Period.HOURS_24 else int(self.value.removesuffix("d"))

    @classmethod
    def parse(cls, text: str) -> "Period | None":
        """The period named `text` exactly, or None for anything else (wrong case, spaces, unknown)."""
        return cls._value2member_map_.get(text)

    @classmethod
    def in_order(cls, periods: Iterable[str]) -> list["Period"]:
        """The known periods among `periods`, once each, in canonical order."""
        chosen = set(periods)
        return [period for period in cls if period.value in chosen]


DEFAULT_PERIOD = Period.DAYS_7
# The lengths of the day periods (7, 30, 90, 365): the derived tables keep running totals for each.
PERIOD_DAYS = tuple(period.days for period in Period if period.days is not None)
# How far ahead of a reader's clock another node's clock may stamp an event and still count as "now": with several
# web nodes a few seconds either way is normal, and an answer must not change its cost or content for it.
CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end) in UTC, plus the site-local dates it touches."""

    start: dt.datetime
    end: dt.datetime
    dates: tuple[dt.date, ...]


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.UTC)


def dates_between(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))


def span(start: dt.datetime, end: dt.datetime, *, tz: zoneinfo.ZoneInfo) -> Window:
    """[start, end) with the local dates it touches."""
    last_instant = end - dt.timedelta(microseconds=1)
    return Window(start, end, dates_between(start.astimezone(tz).date(), last_instant.astimezone(tz).date()))


def days_window(first: dt.date, last: dt.date, *, tz: zoneinfo.ZoneInfo) -> Window:
    """The whole local days from `first` to `last`."""
    return Window(
        local_midnight(first, tz), local_midnight(last + dt.timedelta(days=1), tz), dates_between(first, last)
    )


def window_for(period: Period, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> Window:
    """`24h` is the 24 hours ending now; `Nd` is N whole calendar days in `tz`, ending with today.

    The day periods end at the coming local midnight rather than at `now`, so a window
    is fully determined by the local date: that is what lets cached stats and daily
    rollups be shared by every request made on the same day.
    """
    if period.days is None:
        end = now.astimezone(dt.UTC)
        return span(end - dt.timedelta(hours=24), end, tz=tz)
    today = now.astimezone(tz).date()
    return days_window(today - dt.timedelta(days=period.days - 1), today, tz=tz)
