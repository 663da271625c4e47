"""The shape of a site's statistics for one period, shared by every way of computing them.

What each field means is defined in docs/definitions.md ("Metrics").
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class PageRow:
    path: str
    pageviews: int
    unique_visitors: int


@dataclass(frozen=True)
class SourceRow:
    source: str
    visits: int


@dataclass(frozen=True)
class CountRow:
    key: str
    count: int


@dataclass(frozen=True)
class CountryRow:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class DayRow:
    date: dt.date
    pageviews: int
    unique_visitors: int


@dataclass(frozen=True)
class SiteStats:
    period: str
    unique_visitors: int
    pageviews: int
    bounce_rate: float
    avg_session_duration: float
    pages: list[PageRow]
    referrers: list[SourceRow]
    devices: list[CountRow]
    browsers: list[CountRow]
    countries: list[CountryRow]
    daily: list[DayRow]
