"""An invitation end to end, in Debian's Chromium driven by Playwright, against a live server.

The owner invites a manager and a viewer through the admin; the emails go out over SMTP to a
real server in this process; each invitee opens their link, creates an account, sets up TOTP
with a code computed here, and then can do exactly what their role allows.

Screenshots land in test-artifacts/; with GLIMPSE_UPDATE_SCREENSHOTS=1 they are also copied to
docs/screenshots/ for the README.
"""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.models import Site, SiteMembership
from sharing.models import ShareToken
from sharing.owners import create_site_owner
from teams.outbox import send_due_emails
from tests.browser.test_first_hour_browser import save_screenshot
from tests.teams.conftest import smtp_server, smtp_settings  # noqa: F401 - fixtures
from tests.teams.test_two_factor import forget_last_code, totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough password"
LINK = re.compile(r"(http://[^\s]+/invitations/[A-Za-z0-9_-]+/)")


def invite(admin, live_url: str, site: Site, email: str, role: str) -> None:
    admin.goto(f"{live_url}/admin/analytics/site/")
    admin.click(f"a[href='/admin/teams/invitation/add/?site={site.pk}']")
    admin.wait_for_url("**/admin/teams/invitation/add/**")
    assert admin.input_value("#id_site") == str(site.pk)
    admin.fill("#id_email", email)
    admin.select_option("#id_role", role)
    admin.click("input[name=_save]")
    admin.wait_for_url("**/admin/teams/invitation/")
    assert f"Invitation to {email} queued" in admin.locator(".messagelist").inner_text()


def accept_and_set_up_two_factor(chromium, link: str, username: str, *, screenshots: bool = False):
    """Opens the emailed link in a fresh browser, makes the account, turns TOTP on; returns the page and key."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(link)
    if screenshots:
        save_screenshot(page, "teams-invitation-1280.png")
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("#create-account")
    # REQUIRE_2FA is on: a manager is sent to the setup at once; a viewer opens it from the top bar.
    page.wait_for_url(re.compile(r"/(admin/analytics/site|account/two-factor)/$"))
    if "two-factor" not in page.url:
        page.click("#two-factor-link")
    page.wait_for_url("**/account/two-factor/")
    if screenshots:
        save_screenshot(page, "teams-two-factor-1280.png")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", totp(secret, at=time.time()))
    page.click("#confirm-two-factor")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    return context, page, secret


def sign_in_again(chromium, live_url: str, username: str, secret: str):
    forget_last_code(get_user_model().objects.get(username=username))
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_url}/admin/login/?next=/admin/analytics/site/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    assert "Enter the 6-digit code" in page.locator(".errornote").first.inner_text()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", totp(secret, at=time.time()))
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/analytics/site/")
    return context, page


def test_an_owner_invites_a_manager_and_a_viewer_who_each_get_exactly_their_role(
    chromium,
    live_server,
    settings,
    smtp_settings,  # noqa: F811 - the fixture imported above
    smtp_server,  # noqa: F811
):
    settings.GLIMPSE_BASE_URL = live_server.url
    settings.EMAIL_SEND_IN_THREAD = False
    settings.REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    olivia = create_site_owner(username="olivia", email="olivia@example.com", password=PASSWORD)
    site = Site.objects.create(owner=olivia, domain="team.example", nickname="Team site", timezone="UTC")
    url = live_server.url

    owner = chromium.new_context(viewport={"width": 1280, "height": 900})
    admin = owner.new_page()
    problems: list[str] = []
    admin.on("pageerror", lambda error: problems.append(str(error)))
    try:
        # The owner has no authenticator yet and REQUIRE_2FA is on: the setup comes first.
        admin.goto(f"{url}/admin/login/?next=/admin/analytics/site/")
        admin.fill("#id_username", "olivia")
        admin.fill("#id_password", PASSWORD)
        admin.click("input[type=submit]")
        admin.wait_for_url("**/account/two-factor/")
        secret = admin.locator("#totp-secret").inner_text()
        admin.fill("#id_code", totp(secret, at=time.time()))
        admin.click("#confirm-two-factor")
        admin.wait_for_selector("#recovery-codes")

        invite(admin, url, site, "mia@example.com", "manager")
        invite(admin, url, site, "vic@example.com", "viewer")
        assert send_due_emails(now=timezone.now()) == (2, 0)
        inbox = {message["To"]: message for message in smtp_server.messages}
        assert sorted(inbox) == ["mia@example.com", "vic@example.com"]
        links = {to: LINK.search(message.get_content()).group(1) for to, message in inbox.items()}

        mia_context, mia, mia_secret = accept_and_set_up_two_factor(
            chromium, links["mia@example.com"], "mia", screenshots=True
        )
        vic_context, vic, _ = accept_and_set_up_two_factor(chromium, links["vic@example.com"], "vic")
        assert sorted(SiteMembership.objects.filter(site=site).values_list("user__username", "role")) == [
            ("mia", "manager"),
            ("olivia", "owner"),
            ("vic", "viewer"),
        ]

        # The owner sees the people of the site and their roles.
        admin.goto(f"{url}/admin/analytics/site/")
        people = admin.locator("td.field-people").inner_text()
        assert "olivia (Owner)" in people and "mia (Manager)" in people and "vic (Viewer)" in people
        save_screenshot(admin, "teams-site-list-1280.png")

        # The manager, signed in again with a code: dashboard with the button, creates a link; no members.
        mia_context.close()
        mia_context, mia = sign_in_again(chromium, url, "mia", mia_secret)
        mia.goto(f"{url}/admin/analytics/site/{site.pk}/dashboard/")
        mia.click("#new-share-link")
        mia.wait_for_url("**/sharetoken/add/**")
        mia.fill("#id_label", "Board report")
        mia.click("input[value='Create share link']")
        mia.wait_for_url("**/issued/**")
        assert ShareToken.objects.get().created_by.username == "mia"
        assert mia.goto(f"{url}/admin/analytics/site/{site.pk}/delete/").status == 403
        assert mia.goto(f"{url}/admin/teams/invitation/add/").status == 403
        members = mia.goto(f"{url}/admin/analytics/sitemembership/")
        assert members.status == 200 and "vic" not in mia.locator("#content").inner_text()

        # The viewer: dashboard without the button, the link read-only, every change refused.
        vic.goto(f"{url}/admin/analytics/site/{site.pk}/dashboard/")
        assert vic.locator("#live-visitors").count() == 1
        assert vic.locator("#new-share-link").count() == 0
        link = ShareToken.objects.get()
        vic.goto(f"{url}/admin/sharing/sharetoken/{link.pk}/change/")
        assert "Board report" in vic.content()
        assert vic.locator("#id_label").count() == 0
        assert vic.goto(f"{url}/admin/sharing/sharetoken/add/").status == 403
        assert vic.goto(f"{url}/admin/sharing/sharetoken/{link.pk}/rotate/").status == 403
        assert vic.goto(f"{url}/admin/analytics/site/{site.pk}/delete/").status == 403
        vic.goto(f"{url}/admin/analytics/site/{site.pk}/change/")
        assert vic.locator("input[name=_save]").count() == 0
        assert problems == []
    finally:
        owner.close()
        for context in ("mia_context", "vic_context"):
            if context in locals():
                locals()[context].close()
