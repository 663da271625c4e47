"""What counting share-link uses costs: per request, and per hand-over to the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/glimpse_bench .venv/bin/python -m bench.usage

Each process writes the uses it noted to the database about once a second, one UPDATE per
250 links (`sharing.usage`). This prints, as medians of several repetitions:
  - `record_token_use` when no hand-over is due, the cost on nearly every request;
  - one hand-over carrying 1, 10, 100 and 1,000 links, in autocommit as in production.
It creates a site and 1,000 links of its own (labelled `bench.usage`) and reuses them on
later runs. Compare the hand-over with a second of requests: a process serving 1,000 req/s
spends that second's one hand-over out of 1,000 ms.
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable

import django

LABEL = "bench.usage"


def median_ms(function: Callable[[], object], *, repeat: int, prepare: Callable[[], object] = lambda: None) -> float:
    samples = []
    for _ in range(repeat):
        prepare()
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="repetitions per figure (default 30)")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from bench.generate import refuse_shared_databases

    refuse_shared_databases()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from analytics.models import Site
    from sharing.local_uses import local_uses
    from sharing.models import ShareToken
    from sharing.services import create_share_token
    from sharing.usage import hand_over_local_uses, record_token_use

    call_command("migrate", verbosity=0)
    owner, _ = get_user_model().objects.get_or_create(username="bench-usage")
    site, _ = Site.objects.get_or_create(domain="bench-usage.example", defaults={"owner": owner, "timezone": "UTC"})
    while ShareToken.objects.filter(site=site, label=LABEL).count() < 1000:
        create_share_token(site=site, now=timezone.now(), label=LABEL)
    tokens = list(ShareToken.objects.filter(site=site, label=LABEL).order_by("pk")[:1000])
    local_uses.hand_over_in_background = False
    print(f"{connection.vendor}, {len(tokens)} links; medians of {options.repeat} repetitions")

    now = timezone.now()
    local_uses.take(now=now)
    calls = 10_000
    noted = median_ms(lambda: [record_token_use(tokens[0], now=now) for _ in range(calls)], repeat=options.repeat)
    print(f"  record_token_use, no hand-over due     {noted / calls * 1000:>8.2f} µs a call")
    local_uses.take(now=now)

    for count in (1, 10, 100, 1000):

        def note(count: int = count) -> None:
            moment = timezone.now()
            local_uses.take(now=moment)
            for share_token in tokens[:count]:
                record_token_use(share_token, now=moment)

        took = median_ms(lambda: hand_over_local_uses(now=timezone.now()), repeat=options.repeat, prepare=note)
        print(f"  hand-over of {count:>5,} link(s)             {took:>8.2f} ms")


if __name__ == "__main__":
    main()
