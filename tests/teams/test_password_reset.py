"""Password reset by email for admin accounts: queued in the outbox, sent over SMTP, rate-limited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from sharing.owners import create_site_owner
from teams.models import OutboxEmail
from teams.outbox import send_due_emails

OLD_PASSWORD = "a long enough password"
NEW_PASSWORD = "another long passphrase 42"
RESET_LINK = re.compile(r"https://stats\.example\.net(/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"


@pytest.fixture
def olivia(db):
    return create_site_owner(username="olivia", email="olivia@example.com", password=OLD_PASSWORD)


def test_the_login_page_offers_the_reset(db):
    page = Client().get("/admin/login/").content.decode()

    assert 'href="/password-reset/"' in page


def test_a_reset_email_arrives_and_its_link_sets_a_new_password(olivia, smtp_settings, smtp_server):
    client = Client()

    asked = client.post("/password-reset/", {"email": "olivia@example.com"})
    send_due_emails(now=timezone.now())
    [message] = smtp_server.messages
    link = RESET_LINK.search(message.get_content()).group(1)
    form = client.get(link, follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert asked.status_code == 302
    assert asked["Location"] == "/password-reset/sent/"
    assert message["To"] == "olivia@example.com"
    assert message["Subject"] == "Reset your Glimpse password"
    assert "testserver" not in message.get_content()
    assert done.status_code == 302
    olivia.refresh_from_db()
    assert olivia.check_password(NEW_PASSWORD)
    assert Client().get(link, follow=True).context["validlink"] is False


def test_unknown_addresses_and_non_staff_accounts_get_the_same_answer_and_no_email(olivia):
    get_user_model().objects.create_user(username="reader", email="reader@example.com", password=OLD_PASSWORD)

    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"})
    not_staff = Client().post("/password-reset/", {"email": "reader@example.com"})

    assert unknown.status_code == not_staff.status_code == 302
    assert unknown["Location"] == not_staff["Location"] == "/password-reset/sent/"
    assert not OutboxEmail.objects.exists()


def test_reset_requests_are_limited_per_client_and_per_address(olivia, settings):
    settings.PASSWORD_RESET_RATE = "2/hour"
    one = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [one.post("/password-reset/", {"email": f"x{n}@example.com"}).status_code for n in range(3)]
    spread = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/password-reset/", {"email": "olivia@example.com"}).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert spread == [302, 302, 429]
    assert OutboxEmail.objects.count() == 2
