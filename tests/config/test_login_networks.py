"""Password spraying on the admin login: failed sign-ins counted per network across every username, never off."""

import subprocess
from collections.abc import Iterator

import pytest
from django.test import Client, RequestFactory, override_settings

from config.login_networks import count_failure, pause_for
from tests.factories import UserFactory
from tests.private_redis import UNREACHABLE_REDIS, PrivateRedis, running_private_redis

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
SPRAYER, ELSEWHERE = "198.51.100.7", "192.0.2.44"


@pytest.fixture(autouse=True)
def four_failures_an_hour(settings):
    settings.ADMIN_LOGIN_NETWORK_RATE = "4/hour"


@pytest.fixture
def users():
    return [UserFactory(username=name) for name in ("olivia", "oscar", "priya", "quentin", "rosa")]


@pytest.fixture
def cache_redis(tmp_path) -> Iterator[PrivateRedis]:
    for redis in running_private_redis(directory=tmp_path, append_only=False):
        with override_settings(CACHES=redis.caches):
            yield redis


def log_in(username: str, password: str, *, ip: str = SPRAYER):
    return Client(REMOTE_ADDR=ip).post("/admin/login/?next=/admin/", {"username": username, "password": password})


def is_logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def spray(usernames: list[str], *, ip: str = SPRAYER) -> list[int]:
    return [log_in(username, "Summer2026!", ip=ip).status_code for username in usernames]


def test_four_wrong_passwords_for_four_usernames_pause_the_network_for_every_username(users):
    statuses = spray(["olivia", "oscar", "priya", "quentin"])

    response = log_in("rosa", PASSWORD)

    assert statuses == [200, 200, 200, 200]  # one wrong password each: far below the lock per username
    assert response.status_code == 429
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert 1 <= int(response["Retry-After"]) <= 3600
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "too many wrong passwords from your network, for one account or several" in page
    assert "You can still sign in from another network." in page


def test_unknown_usernames_count_too(users):
    spray(["admin", "root", "test", "guest"])

    assert log_in("olivia", PASSWORD).status_code == 429


def test_three_failures_still_let_the_right_password_in_and_do_not_clear_the_count(users):
    spray(["olivia", "oscar", "priya"])

    assert is_logged_in(log_in("rosa", PASSWORD))
    assert spray(["quentin"]) == [200]
    assert log_in("rosa", PASSWORD).status_code == 429


def test_another_network_is_unaffected(users):
    spray(["olivia", "oscar", "priya", "quentin"])

    assert is_logged_in(log_in("rosa", PASSWORD, ip=ELSEWHERE))


def test_every_address_of_one_ipv6_slash_64_counts_as_one_network(users):
    addresses = ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3", "2001:db8:0:1:abcd::4"]
    for username, address in zip(["olivia", "oscar", "priya", "quentin"], addresses, strict=True):
        assert spray([username], ip=address) == [200]

    assert log_in("rosa", PASSWORD, ip="2001:db8:0:1:9999::9").status_code == 429
    assert is_logged_in(log_in("rosa", PASSWORD, ip="2001:db8:0:2::1"))


def test_the_pause_ends_with_its_hour_and_says_how_long_is_left():
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR=SPRAYER)
    ten_past = 500 * 3600 + 600  # ten minutes into an hour's window
    for _ in range(4):
        assert pause_for(request, now=ten_past) is None
        count_failure(request, now=ten_past)

    pause = pause_for(request, now=ten_past)
    assert (pause.store_unreachable, pause.retry_after) == (False, 3000)  # fifty minutes to the hour
    assert pause_for(request, now=501 * 3600 - 1).retry_after == 1
    assert pause_for(request, now=501 * 3600) is None


def test_the_page_rounds_the_wait_up_to_whole_minutes(users):
    spray(["olivia", "oscar", "priya", "quentin"])

    response = log_in("rosa", PASSWORD)

    minutes = -(-int(response["Retry-After"]) // 60)
    assert f"Please wait {minutes} minute" in response.content.decode()


def test_an_empty_rate_switches_the_check_off(users, settings):
    settings.ADMIN_LOGIN_NETWORK_RATE = ""
    spray(["olivia", "oscar", "priya", "quentin", "olivia"])

    assert is_logged_in(log_in("rosa", PASSWORD))


def test_with_redis_unreachable_every_sign_in_is_refused_with_a_503(users):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = log_in("rosa", PASSWORD)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "the check against password guessing cannot run right now" in page


def test_on_redis_the_count_is_shared_and_sprayers_are_paused(users, cache_redis):
    assert spray(["olivia", "oscar", "priya", "quentin"]) == [200, 200, 200, 200]

    assert log_in("rosa", PASSWORD).status_code == 429
    assert is_logged_in(log_in("rosa", PASSWORD, ip=ELSEWHERE))


def test_with_redis_full_and_refusing_writes_every_sign_in_is_refused(users, cache_redis):
    redis_cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(cache_redis.port)]
    subprocess.run([*redis_cli, "config", "set", "maxmemory-policy", "noeviction"], check=True, capture_output=True)
    subprocess.run([*redis_cli, "config", "set", "maxmemory", "1"], check=True, capture_output=True)

    assert log_in("rosa", PASSWORD).status_code == 503
