"""Two-factor sign-in: TOTP set up with a code computed here (RFC 6238), recovery codes, lockout, REQUIRE_2FA."""

import base64
import hashlib
import hmac
import logging
import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from analytics.models import SiteMembership
from sharing.owners import create_site_owner
from tests.factories import SiteFactory

PASSWORD = "a long enough password"
ADDRESS = "198.51.100.9"


def totp(secret: str, *, at: float) -> str:
    """RFC 6238 with SHA-1, 30-second steps and 6 digits, as an authenticator app computes it."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    digest = hmac.new(key, int(at // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


@pytest.fixture
def olivia(db):
    user = create_site_owner(username="olivia", email="olivia@example.com", password=PASSWORD)
    SiteFactory(owner=user, domain="team.example")
    return user


def set_up_two_factor(user) -> tuple[str, list[str]]:
    """Goes through the setup page as the user does; returns the key and the recovery codes shown."""
    client = Client()
    client.force_login(user)
    page = client.get("/account/two-factor/").content.decode()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    done = client.post("/account/two-factor/", {"code": totp(secret, at=time.time())}).content.decode()
    forget_last_code(user)
    return secret, re.findall(r"<li><code>([0-9a-f]{10})</code></li>", done)


def forget_last_code(user) -> None:
    """As if the next sign-in came a few minutes later: django-otp refuses a code of the window it last accepted
    (no replay) and learns the clock drift of a code accepted from a neighbouring window, so a test that signs in
    right after the setup, maybe across a window boundary, starts from a clean device instead."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1, drift=0)


def log_in(code: str | None = None, *, username: str = "olivia", password: str = PASSWORD):
    client = Client(REMOTE_ADDR=ADDRESS)
    data = {"username": username, "password": password, **({"otp_token": code} if code is not None else {})}
    return client.post("/admin/login/?next=/admin/", data), client


def test_setup_confirms_the_app_with_a_code_and_shows_ten_recovery_codes(olivia):
    secret, codes = set_up_two_factor(olivia)

    assert len(secret.replace(" ", "")) == 32
    assert len(codes) == len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=olivia).confirmed is True


def test_a_wrong_code_at_setup_turns_nothing_on(olivia):
    client = Client()
    client.force_login(olivia)
    client.get("/account/two-factor/")

    response = client.post("/account/two-factor/", {"code": "000000"})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert TOTPDevice.objects.get(user=olivia).confirmed is False


def test_after_setup_the_password_alone_no_longer_signs_in(olivia, settings):
    # django-otp also slows down the next try after each wrong code (1 s, 2 s, …); not what this test is about.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    secret, _ = set_up_two_factor(olivia)

    without, client = log_in()
    wrong, _ = log_in("123456")
    right, right_client = log_in(totp(secret, at=time.time()))

    assert without.status_code == wrong.status_code == 200
    assert "Enter the 6-digit code from your authenticator app" in without.content.decode()
    assert client.get("/admin/").status_code == 302
    assert right.status_code == 302
    assert right["Location"] == "/admin/"
    assert right_client.get("/admin/analytics/site/").status_code == 200


def test_a_recovery_code_works_once(olivia):
    _, codes = set_up_two_factor(olivia)

    first, _ = log_in(codes[0])
    again, _ = log_in(codes[0])

    assert first.status_code == 302
    assert again.status_code == 200


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(olivia):
    secret, _ = set_up_two_factor(olivia)

    statuses = [log_in(f"{guess:06d}")[0].status_code for guess in range(5)]
    right, client = log_in(totp(secret, at=time.time()))

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "Sign-in paused" in right.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_session_from_before_setup_must_sign_in_again_with_a_code(olivia):
    client = Client()
    client.force_login(olivia)
    set_up_two_factor(olivia)

    response = client.get("/admin/analytics/site/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/analytics/site/")


@pytest.mark.parametrize(("role", "sent_to_setup"), [("owner", True), ("manager", True), ("viewer", False)])
def test_require_2fa_sends_whoever_can_create_links_to_the_setup(olivia, settings, role, sent_to_setup):
    settings.REQUIRE_2FA = True
    member = create_site_owner(username=role + "1", email=f"{role}1@example.com", password=PASSWORD)
    SiteMembership.objects.create(site=olivia.created_sites.get(), user=member, role=role)

    response, client = log_in(username=member.username)
    page = client.get("/admin/analytics/site/")

    assert response.status_code == 302
    if sent_to_setup:
        assert page.status_code == 302
        assert page["Location"] == "/account/two-factor/"
        assert "set up two-factor sign-in to continue" in client.get("/account/two-factor/").content.decode()
    else:
        assert page.status_code == 200


def test_without_require_2fa_nobody_is_sent_to_the_setup(olivia):
    response, client = log_in()

    assert response.status_code == 302
    assert client.get("/admin/analytics/site/").status_code == 200


def test_codes_never_reach_a_log(olivia, caplog):
    caplog.set_level(logging.DEBUG)
    secret, codes = set_up_two_factor(olivia)
    code = totp(secret, at=time.time())

    log_in("654321")
    log_in(code)
    log_in(codes[1])

    assert secret.replace(" ", "") not in caplog.text
    assert code not in caplog.text
    assert codes[1] not in caplog.text
    assert "654321" not in caplog.text
