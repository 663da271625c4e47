"""The periods a client may ask for, and the time window each one covers."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

PERIODS: tuple[str, ...] = ("24h", "7d", "30d", "90d", "365d")
DEFAULT_PERIOD = "7d"
PERIOD_LABELS: dict[str, str] = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
}
DAY_PERIODS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end) in UTC, plus the site-local dates it touches."""

    period: str
    start: dt.datetime
    end: dt.datetime
    dates: tuple[dt.date, ...]


def in_canonical_order(periods: list[str] | tuple[str, ...]) -> list[str]:
    chosen = set(periods)
    return [period for period in PERIODS if period in chosen]


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.UTC)


def dates_between(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))


def window_for(period: str, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> Window:
    """`24h` is the 24 hours ending now; `Nd` is N whole calendar days in `tz`, ending with today.

    The day periods end at the coming local midnight rather than at `now`, so a window
    is fully determined by the local date: that is what lets cached stats and daily
    rollups be shared by every request made on the same day.
    """
    if period == "24h":
        end = now.astimezone(dt.UTC)
        start = end - dt.timedelta(hours=24)
        last_instant = end - dt.timedelta(microseconds=1)
        return Window(
            period, start, end, dates_between(start.astimezone(tz).date(), last_instant.astimezone(tz).date())
        )
    days = DAY_PERIODS[period]
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=days - 1)
    return Window(
        period,
        local_midnight(first, tz),
        local_midnight(today + dt.timedelta(days=1), tz),
        dates_between(first, today),
    )
