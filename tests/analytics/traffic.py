"""A small, hand-countable traffic fixture shared by the stats and API tests.

"Now" is Wednesday 2026-03-18 15:30 UTC and the site is on UTC. Every expected
number in the tests is counted by hand from the table below.

visitor  local time (UTC)    path       session  source                device   browser        country
1        03-18 10:00         /          A        google.com            desktop  Chrome         US
1        03-18 10:05         /pricing   A
1        03-18 10:20         /          A        (A: 3 views, 1200 s)
2        03-18 11:00         /          B        direct                mobile   Mobile Safari  GB   (bounce)
3        03-17 09:00         /about     C        news.ycombinator.com  tablet   Safari         DE
3        03-17 09:10         /          C        (C: 2 views, 600 s)
3        03-17 10:00         /blog      D        direct  (50 min gap: a new session; bounce)
4        03-14 12:00         /pricing   E        google.com            desktop  Firefox        (unknown; bounce)
5        03-11 23:59         /          F        direct                desktop  Chrome         US (pre-window)
"""

import datetime as dt

from analytics.models import Site
from analytics.services import record_pageview

VISITS = [
    (1, "2026-03-18T10:00", "/", "google.com", "desktop", "Chrome", "US"),
    (1, "2026-03-18T10:05", "/pricing", "google.com", "desktop", "Chrome", "US"),
    (1, "2026-03-18T10:20", "/", "google.com", "desktop", "Chrome", "US"),
    (2, "2026-03-18T11:00", "/", "direct", "mobile", "Mobile Safari", "GB"),
    (3, "2026-03-17T09:00", "/about", "news.ycombinator.com", "tablet", "Safari", "DE"),
    (3, "2026-03-17T09:10", "/", "news.ycombinator.com", "tablet", "Safari", "DE"),
    (3, "2026-03-17T10:00", "/blog", "direct", "tablet", "Safari", "DE"),
    (4, "2026-03-14T12:00", "/pricing", "google.com", "desktop", "Firefox", ""),
    (5, "2026-03-11T23:59", "/", "direct", "desktop", "Chrome", "US"),
]


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def record_visits(site: Site, visits=VISITS) -> None:
    for visitor, moment, path, source, device, browser, country in visits:
        record_pageview(
            site=site,
            timestamp=utc(moment),
            visitor_id=visitor,
            path=path,
            source=source,
            device_type=device,
            browser=browser,
            country=country,
        )
