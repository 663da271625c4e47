"""Guessing an admin password is stopped after five tries, for that username from that address only."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
ATTACKER, OWNER_ELSEWHERE = "198.51.100.7", "192.0.2.44"


@pytest.fixture
def olivia():
    return UserFactory(username="olivia")


def log_in(password: str, *, username: str = "olivia", ip: str = ATTACKER, **headers):
    client = Client(REMOTE_ADDR=ip, **headers)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return response, client


def is_logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def guess_wrong(times: int, **kwargs) -> list[int]:
    return [log_in(f"guess {attempt}", **kwargs)[0].status_code for attempt in range(times)]


def test_five_wrong_passwords_lock_the_username_from_that_address_even_with_the_right_one(olivia):
    statuses = guess_wrong(5)

    response, client = log_in(PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]  # the login form again, four times; then locked
    assert response.status_code == 429
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "5 wrong passwords in a row for <strong>olivia</strong>" in page
    assert "Please wait 15 minutes before you try again" in page
    assert client.get("/admin/").status_code == 302  # not logged in: back to the login page


def test_four_wrong_passwords_still_let_the_right_one_in(olivia):
    guess_wrong(4)

    response, _ = log_in(PASSWORD)

    assert is_logged_in(response)


def test_the_owner_from_another_address_and_other_users_from_the_attackers_are_unaffected(olivia):
    UserFactory(username="oscar")
    guess_wrong(6)

    assert is_logged_in(log_in(PASSWORD, ip=OWNER_ELSEWHERE)[0])
    assert is_logged_in(log_in(PASSWORD, username="oscar")[0])
    assert log_in(PASSWORD)[0].status_code == 429


def test_a_forged_forwarded_for_header_does_not_give_fresh_attempts(olivia, settings):
    settings.NUM_PROXIES = 0  # no proxy of ours: the header is the client's own writing
    statuses = [
        log_in(f"guess {attempt}", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")[0].status_code for attempt in range(5)
    ]

    assert statuses[-1] == 429
    assert log_in(PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")[0].status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_what_gets_locked(olivia, settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.1"
    guess_wrong(5, ip=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)

    assert log_in(PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)[0].status_code == 429
    assert is_logged_in(log_in(PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=OWNER_ELSEWHERE)[0])


def test_the_lock_lifts_after_the_fifteen_minute_cool_off(olivia):
    guess_wrong(5)
    assert log_in(PASSWORD)[0].status_code == 429

    # Fifteen minutes and a second pass: the failures fall out of the window axes looks at.
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - dt.timedelta(minutes=15, seconds=1)
        )

    assert is_logged_in(log_in(PASSWORD)[0])


def test_an_admin_can_lift_a_lock_at_once(olivia):
    guess_wrong(5)
    assert log_in(PASSWORD)[0].status_code == 429

    call_command("axes_reset_username", "olivia")

    assert is_logged_in(log_in(PASSWORD)[0])


def test_in_process_logins_without_a_request_still_check_the_password(olivia, client):
    assert authenticate(username="olivia", password=PASSWORD) == olivia
    assert authenticate(username="olivia", password="wrong") is None
    assert client.login(username="olivia", password=PASSWORD)
