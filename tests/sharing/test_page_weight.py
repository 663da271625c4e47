"""A year's share page at the API's list limits stays under 100 KB of HTML in every shipped language.

The page is the one `python -m bench.share_page` builds (no database: 365 days, 50 pages, 50 sources,
20 browsers, 200 countries, the previous year to compare); the bench also times it, which a test cannot
do reliably on a shared machine. Weight does not depend on the machine.
"""

import datetime as dt

import pytest
from django.conf import settings

from analytics.models import Site
from bench.share_page.__main__ import DAYS, TARGET_BYTES, render_once, site_stats


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_a_years_share_page_weighs_under_100_kb_in_every_language(language):
    site = Site(domain="paths.bench", nickname="Paths bench", timezone="Europe/Amsterdam")
    first = dt.date(2026, 3, 18) - dt.timedelta(days=DAYS - 1)
    body = render_once(
        site=site,
        stats=site_stats(first=first, scale=1),
        previous=site_stats(first=first - dt.timedelta(days=DAYS), scale=1),
        computed_at=dt.datetime(2026, 3, 18, 17, 0, tzinfo=dt.UTC),
        language=language,
    )

    assert TARGET_BYTES == 100_000
    assert b'<script id="chart-rows" type="application/json">' in body
    assert len(body) < TARGET_BYTES
