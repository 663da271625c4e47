"""The shape of a site's statistics for one period (SPEC section 4), shared by every way of computing them."""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate
from django.utils import translation
from django_countries import countries

PAGES_LIMIT = 50
REFERRERS_LIMIT = 50
BROWSERS_LIMIT = 20


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


def percentage(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def mean(total: int | float | None, count: int) -> float:
    return round((total or 0) / count, 1) if count else 0.0


def ascending_key(field: str) -> Collate:
    """Order text by code point on every database, so ties break the same on SQLite and PostgreSQL."""
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY").asc()


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    with translation.override("en"):
        return str(countries.name(code)) or code
