"""The event mixes the ingestion benches write, one definition for the HTTP load, the drain and the batch bench.

- `real` (the default): 50 sites of very different sizes, 5,000 paths a site drawn with a
  long tail (a few very often, most rarely), sources from 2,000 referrer hosts and 300
  campaigns (40% direct), 3 device types, 6 browsers, 40 countries;
- `high-cardinality`: one site, every pageview on a path and a campaign never seen before;
- `friendly`: one site, 301 paths and 3 sources (what the benches measured before).

About 3.5 pageviews per visitor.
"""

import datetime as dt
import random
from itertools import count

SHAPES = ("real", "high-cardinality", "friendly")
LOAD_SITES = tuple(f"load-{number:02d}.example" for number in range(50))
REAL_PATHS = ["/"] + [f"/docs/section-{number // 50}/page-{number}" for number in range(4999)]
FRIENDLY_PATHS = ["/"] + [f"/blog/post-{number}" for number in range(300)]
REFERRER_HOSTS = [f"referrer-{number}.example" for number in range(2000)]
CAMPAIGNS = [f"campaign-{number}" for number in range(300)]
REAL_SOURCES = REFERRER_HOSTS + CAMPAIGNS
COUNTRIES = [
    *[
        "US",
        "DE",
        "GB",
        "FR",
        "NL",
        "IN",
        "BR",
        "JP",
        "CA",
        "AU",
        "SE",
        "ES",
        "PL",
        "IT",
        "CH",
        "NZ",
        "KR",
        "MX",
        "ZA",
        "SG",
        "AT",
        "BE",
        "DK",
        "FI",
        "NO",
        "IE",
        "PT",
        "CZ",
        "RO",
        "HU",
        "GR",
        "TR",
        "IL",
        "AE",
        "AR",
        "CL",
        "CO",
        "UA",
    ],
    "",
]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "Samsung Internet", "Opera"]


def long_tail_choice(rng: random.Random, values: list) -> object:
    """A few values very often, most rarely: an index drawn with a density falling like 1/x."""
    return values[min(len(values) - 1, int(len(values) ** rng.random()) - 1)]


def pageviews(*, rng: random.Random, shape: str, size: int, start: dt.datetime, site_ids: list[int]) -> list:
    """`size` queued pageviews as (site id, NewPageview), of about `size` * 2 / 7 visitors, one millisecond apart."""
    from analytics.services import NewPageview

    unique = count()
    sites = site_ids if shape == "real" else site_ids[:1]
    visitors = [(long_tail_choice(rng, sites), rng.getrandbits(62)) for _ in range(max(1, size * 2 // 7))]
    attributes = {
        visitor: (rng.choice(["desktop", "mobile", "tablet"]), rng.choice(BROWSERS), rng.choice(COUNTRIES))
        for visitor in visitors
    }

    def path_and_source() -> tuple[str, str]:
        if shape == "friendly":
            return rng.choice(FRIENDLY_PATHS), rng.choice(["direct", "google.com", "news.ycombinator.com"])
        if shape == "high-cardinality":
            number = next(unique)
            return f"/item/{start.timestamp():.0f}-{number}", f"campaign-{start.timestamp():.0f}-{number}"
        source = "direct" if rng.random() < 0.4 else long_tail_choice(rng, REAL_SOURCES)
        return long_tail_choice(rng, REAL_PATHS), source

    chosen = []
    for index in range(size):
        site_id, visitor = rng.choice(visitors)
        path, source = path_and_source()
        pageview = NewPageview(
            start + dt.timedelta(milliseconds=index),
            visitor,
            path,
            source,
            *attributes[(site_id, visitor)],
            event_id=f"{int(start.timestamp() * 1000)}-{index}",
        )
        chosen.append((site_id, pageview))
    return chosen
