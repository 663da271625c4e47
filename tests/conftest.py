import datetime as dt
import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from analytics.process_state import reset_process_state
from config.clock import set_clock_offset
from config.log_repeats import repeats
from sharing.local_uses import local_uses
from sharing.owners import create_site_owner
from tests import hypothesis_profiles  # noqa: F401  (registers and loads the Hypothesis profile)
from tests.analytics.traffic import record_visits
from tests.factories import ShareTokenFactory, SiteFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
REQUIRE_SERVICES = os.environ.get("GLIMPSE_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip browser tests (`@pytest.mark.browser`) and PostgreSQL-only tests (`@pytest.mark.postgres`) with a clear
    reason where those are missing; CI's service run (GLIMPSE_REQUIRE_SERVICES=1) refuses to skip them."""
    chromium_missing = shutil.which(CHROMIUM) is None
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    for item in items:
        if "browser" in item.keywords and chromium_missing:
            if REQUIRE_SERVICES:
                raise pytest.UsageError(f"{CHROMIUM} is required here but missing")
            reason = f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
            item.add_marker(pytest.mark.skip(reason=reason))
        if "postgres" in item.keywords and not on_postgres:
            if REQUIRE_SERVICES:
                raise pytest.UsageError("PostgreSQL is required in this run but DATABASE_URL does not point at it")
            reason = "needs PostgreSQL: set DATABASE_URL=postgres://… (CI's second run does)"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Factory users get hashed passwords; the production hasher takes most of a second per user."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def events_written_at_once(settings):
    """Events are written as they arrive, as without Redis; the tests of the queue switch it on."""
    settings.INGEST_QUEUE = False


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache and nothing held in this process, and no hand-over thread touches the
    database behind its back (the tests of `sharing.local_uses` switch those on where they test them). The log's
    repeat ledger starts empty too: a warning an earlier test logged must not turn this test's into a summary."""
    cache.clear()
    reset_process_state()
    repeats.forget()
    local_uses.hand_over_in_background = False
    yield
    cache.clear()
    reset_process_state()
    local_uses.hand_over_in_background = True


@pytest.fixture
def now() -> dt.datetime:
    """A fixed 'now' for tests that pass time in explicitly: Wednesday 2026-03-18 15:30 UTC."""
    return dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def site(db):
    return SiteFactory(domain="example.com", nickname="My Website")


@pytest.fixture
def frozen_now(monkeypatch, now) -> dt.datetime:
    """The app's own clock (`timezone.now`, read by views and services) pinned to `now`."""
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def node_clock():
    """Sets this process's clock offset, as `DRILL_CLOCK_OFFSET_SECONDS` sets a drill node's; the system clock after."""
    yield set_clock_offset
    set_clock_offset(0)


@pytest.fixture
def visited_site(db):
    """example.com ("My Website", UTC) with the hand-counted traffic of `tests/analytics/traffic.py` (up to `now`)."""
    site = SiteFactory(domain="example.com", nickname="My Website")
    record_visits(site)
    return site


@pytest.fixture
def share_token(site):
    return ShareTokenFactory(site=site)


@pytest.fixture
def owner(db):
    """A staff user in the "Site owners" group, as `create_site_owner` makes them."""
    return create_site_owner(username="olivia", email="olivia@example.com", password="a long enough password")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (`playwright install` cannot download here)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django's
    # ORM would otherwise refuse as an "async context" (live_server and DB checks in tests).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()
