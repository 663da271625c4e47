"""Fixtures shared by the statistics tests."""

import pytest

from tests.analytics.traffic import record_visits
from tests.factories import SiteFactory


@pytest.fixture
def traffic_site():
    """A UTC site with the hand-counted visits of `tests/analytics/traffic.py`."""
    site = SiteFactory(timezone="UTC")
    record_visits(site)
    return site
