"""The share page's HTML for 365 days at the API's list limits: rendering time and weight, against the targets.

    .venv/bin/python -m bench.share_page [--runs 20] [--lang de]

No database: the page is built from a `SiteStats` made here the way the API's cache holds it for a site with
262,144 distinct paths (the lists are capped by `analytics.metrics`: 50 pages, 50 sources, 20 browsers, every
country), with the previous 365 days to compare, exactly as the share view builds and renders it. Each figure is
the median of `--runs` warm runs (one untimed run first) of `build_dashboard` plus the template, in wall-clock
time and in the process's CPU time (which a busy machine inflates far less), with the load average.
"""

import argparse
import datetime as dt
import os
import statistics
import time

import django

TARGET_MS = 100
TARGET_BYTES = 100_000
DAYS = 365


def site_stats(*, first: dt.date, scale: int):
    from analytics.stats import CountRow, CountryRow, DayRow, PageRow, SiteStats, SourceRow

    return SiteStats(
        period="365d",
        unique_visitors=322_404 * scale,
        pageviews=1_234_567 * scale,
        bounce_rate=47.2,
        avg_session_duration=369.4,
        pages=[
            PageRow(f"/blog/{2025 + n % 2}/{n:06d}/a-fairly-long-article-slug-for-path-{n}", 9000 - n, 7000 - n)
            for n in range(50)
        ],
        referrers=[SourceRow(f"referrer-{n}.example.com", 5000 - n) for n in range(50)],
        devices=[CountRow("desktop", 200_000), CountRow("mobile", 110_000), CountRow("tablet", 12_404)],
        browsers=[CountRow(f"Browser {n}", 20_000 - n) for n in range(20)],
        countries=[CountryRow(code, code, 1000 - n) for n, code in enumerate(country_codes())],
        daily=[
            DayRow(first + dt.timedelta(days=n), 3000 + 7 * (n % 50) * scale, 900 + 3 * (n % 40)) for n in range(DAYS)
        ],
    )


def country_codes() -> list[str]:
    from django_countries import countries

    return [code for code, _name in countries][:200]


def render_once(*, site, stats, previous, computed_at, language: str) -> bytes:
    from django.template.loader import render_to_string
    from django.utils import translation

    from analytics.periods import Period
    from sharing.dashboard import build_dashboard
    from sharing.page_options import PageOptions

    options = PageOptions()
    with translation.override(language):
        dashboard = build_dashboard(
            site=site,
            periods=list(Period),
            period=Period.DAYS_365,
            stats=stats,
            computed_at=computed_at,
            period_url=options.period_url,
            previous=previous,
            csv_url=lambda export: f"/share/glimpse_x/export/{export}.csv?period=365d",
        )
        html = render_to_string("sharing/share_page.html", {"dashboard": dashboard, "options": options, "embed": False})
    return html.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from analytics.models import Site

    site = Site(domain="paths.bench", nickname="Paths bench", timezone="Europe/Amsterdam")
    computed_at = dt.datetime(2026, 3, 18, 17, 0, tzinfo=dt.UTC)
    first = dt.date(2026, 3, 18) - dt.timedelta(days=DAYS - 1)
    stats = site_stats(first=first, scale=1)
    previous = site_stats(first=first - dt.timedelta(days=DAYS), scale=1)
    render = lambda: render_once(site=site, stats=stats, previous=previous, computed_at=computed_at, language=args.lang)  # noqa: E731
    body = render()
    timings, cpu_timings = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        render()
        timings.append(1000 * (time.perf_counter() - started))
        cpu_timings.append(1000 * (time.process_time() - cpu_started))
    median = statistics.median(timings)
    print(
        f"365d share page ({args.lang}): {len(body):,} bytes (target < {TARGET_BYTES:,}): "
        f"{'OK' if len(body) < TARGET_BYTES else 'OVER'}"
    )
    print(
        f"  build + render: median {median:.1f} ms of {args.runs} runs (target < {TARGET_MS} ms): "
        f"{'OK' if median < TARGET_MS else 'OVER'}"
    )
    # CPU time leaves out the waits of a shared, busy machine; compare it with the load average printed beside it.
    print(
        f"  CPU time: median {statistics.median(cpu_timings):.1f} ms; "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
