"""Realistic, deterministic demo traffic, bulk-inserted as the rows `record_pageview` would write.

Each visitor lives within one site-local day (as real visitor ids do), makes one or
two sessions, and each session's pageviews are less than 30 minutes apart.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from analytics.counting.rebuild import rebuild_site_rollups
from analytics.models import Pageview, Site
from analytics.periods import local_midnight

PATHS = [
    "/",
    "/pricing",
    "/blog",
    "/docs",
    "/about",
    "/blog/privacy-first-analytics",
    "/docs/getting-started",
    "/features",
    "/blog/share-links",
    "/contact",
    "/docs/api",
    "/changelog",
    "/careers",
    "/blog/why-no-cookies",
    "/docs/tracking-script",
    "/customers",
    "/security",
    "/blog/django-at-scale",
    "/legal/privacy",
    "/legal/terms",
    "/docs/self-hosting",
    "/integrations",
    "/blog/rollups",
    "/status",
    "/compare/plausible",
    "/compare/umami",
    "/docs/share-tokens",
    "/blog/2026-roadmap",
    "/press",
    "/partners",
]
PATH_WEIGHTS = [1 / (rank + 1) ** 1.1 for rank in range(len(PATHS))]

SOURCES = [
    ("direct", 38),
    ("google.com", 27),
    ("bing.com", 5),
    ("duckduckgo.com", 4),
    ("news.ycombinator.com", 5),
    ("reddit.com", 4),
    ("x.com", 3),
    ("github.com", 3),
    ("linkedin.com", 2),
    ("newsletter", 4),
    ("producthunt.com", 2),
    ("ecosia.org", 1),
    ("twitter-campaign", 1),
    ("dev.to", 1),
]
DEVICES = [("desktop", 56), ("mobile", 37), ("tablet", 7)]
BROWSERS = {
    "desktop": [("Chrome", 58), ("Firefox", 12), ("Safari", 14), ("Edge", 13), ("Opera", 2), ("Brave", 1)],
    "mobile": [("Chrome Mobile", 52), ("Mobile Safari", 40), ("Samsung Internet", 6), ("Firefox Mobile", 2)],
    "tablet": [("Mobile Safari", 64), ("Chrome Mobile", 30), ("Samsung Internet", 6)],
}
COUNTRIES = [
    ("US", 31),
    ("GB", 9),
    ("DE", 9),
    ("IN", 7),
    ("FR", 5),
    ("CA", 5),
    ("NL", 4),
    ("BR", 3),
    ("JP", 3),
    ("AU", 3),
    ("SE", 2),
    ("ES", 2),
    ("PL", 2),
    ("IT", 2),
    ("CH", 1),
    ("NZ", 1),
    ("KR", 1),
    ("MX", 1),
    ("ZA", 1),
    ("SG", 1),
    ("", 3),
]
WEEKDAY_FACTOR = [1.0, 1.04, 1.06, 1.02, 0.93, 0.62, 0.58]


def weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [value for value, _ in pairs], [weight for _, weight in pairs]


PAGEVIEW_COLUMNS = ("id", "site_id", "visitor_id", "timestamp", "path", "source", "device_type", "browser", "country")


@dataclass
class DemoRows:
    """Rows as tuples in column order: the ORM's per-object work would dominate a million-row load."""

    next_pageview_id: int
    sessions: int = 0
    pageviews: list[tuple] = field(default_factory=list)


def visitors_on(day: dt.date, *, base: int, first_day: dt.date, rng: random.Random) -> int:
    growth = 0.75 + 0.5 * min(1.0, (day - first_day).days / 365)
    noise = rng.uniform(0.9, 1.1)
    return max(0, round(base * WEEKDAY_FACTOR[day.weekday()] * growth * noise))


def session_pageview_count(rng: random.Random) -> int:
    if rng.random() < 0.46:
        return 1
    return min(12, 2 + int(rng.expovariate(0.55)))


def visit_offsets(rng: random.Random, *, pageviews: int, day_seconds: int) -> list[int] | None:
    """Seconds after local midnight for each pageview of one session, or None if it would not fit the day."""
    hour = rng.gauss(14, 4.5) % 24
    start = int(hour * 3600)
    offsets = [start]
    for _ in range(pageviews - 1):
        offsets.append(offsets[-1] + rng.randint(8, 600))
    if offsets[-1] >= day_seconds:
        return None
    return offsets


def generate_day(
    *, site: Site, day: dt.date, visitors: int, now: dt.datetime, rng: random.Random, rows: DemoRows
) -> None:
    tz = site.tzinfo
    midnight = local_midnight(day, tz)
    day_seconds = int((local_midnight(day + dt.timedelta(days=1), tz) - midnight).total_seconds())
    paths, path_weights = PATHS, PATH_WEIGHTS
    sources, source_weights = weighted(SOURCES)
    devices, device_weights = weighted(DEVICES)
    countries, country_weights = weighted(COUNTRIES)
    for _ in range(visitors):
        visitor_id = rng.getrandbits(63) - (1 << 62)
        device = rng.choices(devices, device_weights)[0]
        browsers, browser_weights = weighted(BROWSERS[device])
        browser = rng.choices(browsers, browser_weights)[0]
        country = rng.choices(countries, country_weights)[0]
        session_count = 2 if rng.random() < 0.18 else 1
        last_end = -1
        for _ in range(session_count):
            offsets = visit_offsets(rng, pageviews=session_pageview_count(rng), day_seconds=day_seconds)
            if offsets is None or offsets[0] < last_end + 1800 + 1:
                continue
            times = [midnight + dt.timedelta(seconds=offset) for offset in offsets]
            times = [moment for moment in times if moment < now]
            if not times:
                continue
            last_end = offsets[len(times) - 1]
            visit_paths = rng.choices(paths, path_weights, k=len(times))
            source = rng.choices(sources, source_weights)[0]
            rows.sessions += 1
            for moment, visit_path in zip(times, visit_paths, strict=True):
                rows.pageviews.append(
                    (rows.next_pageview_id, site.pk, visitor_id, moment, visit_path, source, device, browser, country)
                )
                rows.next_pageview_id += 1


def demo_days(*, now: dt.datetime, site: Site, days: int) -> Iterator[dt.date]:
    today = now.astimezone(site.tzinfo).date()
    for offset in range(days - 1, -1, -1):
        yield today - dt.timedelta(days=offset)


def insert(model: type[models.Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    prepared = [tuple(adapt(value) if isinstance(value, dt.datetime) else value for value in row) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared)


def insert_rows(rows: DemoRows) -> None:
    insert(Pageview, PAGEVIEW_COLUMNS, rows.pageviews)
    rows.pageviews.clear()


def reset_id_sequences() -> None:
    """Primary keys were assigned here; tell PostgreSQL's sequences where to carry on."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Pageview]):
            cursor.execute(statement)


def seed_demo_traffic(
    *,
    site: Site,
    now: dt.datetime,
    days: int = 365,
    visitors_per_day: int = 1000,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Fill `site` with `days` days of traffic ending now, then rebuild its rollups (the bulk insert goes around
    `record_pageviews`, which would keep them current; the rebuild works out the sessions).

    Returns (sessions, pageviews) written. `progress`, if given, hears (days done, days) after each day, so a
    long seeding is never silent.
    """
    rng = random.Random(f"glimpse-demo:{seed}:{site.domain}")
    first_day = now.astimezone(site.tzinfo).date() - dt.timedelta(days=days - 1)
    with transaction.atomic():
        rows = DemoRows(
            next_pageview_id=(Pageview.objects.aggregate(top=Max("id"))["top"] or 0) + 1,
        )
        first_pageview_id = rows.next_pageview_id
        for done, day in enumerate(demo_days(now=now, site=site, days=days), start=1):
            visitors = visitors_on(day, base=visitors_per_day, first_day=first_day, rng=rng)
            generate_day(site=site, day=day, visitors=visitors, now=now, rng=rng, rows=rows)
            insert_rows(rows)
            if progress is not None:
                progress(done, days)
        reset_id_sequences()
    rebuild_site_rollups(site=site, now=now)
    return rows.sessions, rows.next_pageview_id - first_pageview_id
