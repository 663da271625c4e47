"""The share-link list at laptop widths, with the admin's navigation open: every column on screen."""

import datetime as dt

import pytest
from django.utils import timezone

from sharing.owners import create_site_owner
from sharing.services import rotate_share_token
from tests.factories import ShareTokenFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLUMNS = ["name", "status", "periods", "expires_on", "last_used", "uses", "created_on"]


@pytest.mark.parametrize("width", [1280, 1024])
def test_every_share_link_column_is_on_screen(chromium, live_server, width):
    owner = create_site_owner(username="olivia", email="o@example.com", password="a long enough password")
    site = SiteFactory(owner=owner, domain="a-rather-long-garden-domain.example", timezone="Europe/Amsterdam")
    ShareTokenFactory(site=site, label="Newsletter sponsors", allowed_periods=["7d", "30d", "90d"])
    ShareTokenFactory(site=site, label="Ran out", expired=True)
    rotate_share_token(ShareTokenFactory(site=site, label="Embed"), now=timezone.now(), grace=dt.timedelta(hours=1))
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", "a long enough password")
        page.click("input[type=submit]")
        page.goto("/admin/sharing/sharetoken/")

        assert page.locator("#nav-sidebar").is_visible()
        right_edges = {
            column: page.locator(f"#result_list th.column-{column}").bounding_box()["x"]
            + page.locator(f"#result_list th.column-{column}").bounding_box()["width"]
            for column in COLUMNS
        }
        assert {column: edge for column, edge in right_edges.items() if edge > width} == {}
        assert page.evaluate("document.documentElement.scrollWidth") == width
    finally:
        context.close()
