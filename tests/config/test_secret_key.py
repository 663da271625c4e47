"""Production never runs on a committed SECRET_KEY, and says so in one line."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.secret_key import (
    THROWAWAY_KEY,
    default_secret_key,
    refuse_to_serve_with_unsafe_secret_key,
    unsafe_secret_key_reason,
)

ROOT = Path(__file__).resolve().parents[2]
OLD_COMMITTED_KEY = "glimpse-insecure-development-key-set-SECRET_KEY-in-production"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "SECRET_KEY is not set"),
        (THROWAWAY_KEY, "SECRET_KEY is a key written in source code"),
        (OLD_COMMITTED_KEY, "SECRET_KEY is a key written in source code"),
        ("django-insecure-" + "x1y2z3" * 10, "SECRET_KEY is a key written in source code"),
        ("short-but-random-9f8e7d", "SECRET_KEY is too weak (at least 50 characters, 5 different)"),
        ("ab" * 40, "SECRET_KEY is too weak (at least 50 characters, 5 different)"),
    ],
)
def test_missing_committed_and_weak_keys_are_unsafe(key, reason):
    assert unsafe_secret_key_reason(key) == reason


def test_a_long_random_key_is_safe():
    assert unsafe_secret_key_reason(secrets.token_urlsafe(50)) is None


def test_without_debug_or_pytest_there_is_no_default_key(monkeypatch):
    monkeypatch.delenv("PYTEST_VERSION")

    assert default_secret_key(debug=False) == ""
    assert default_secret_key(debug=True) == THROWAWAY_KEY


def test_the_test_suite_runs_on_the_throwaway_key():
    assert "PYTEST_VERSION" in os.environ
    assert default_secret_key(debug=False) == THROWAWAY_KEY


def test_the_server_refuses_the_throwaway_key_without_debug(settings):
    settings.DEBUG, settings.SECRET_KEY = False, THROWAWAY_KEY

    with pytest.raises(SystemExit) as refused:
        refuse_to_serve_with_unsafe_secret_key()

    assert str(refused.value).startswith("Glimpse will not start: SECRET_KEY is a key written in source code; set")
    assert "\n" not in str(refused.value)


def test_the_server_starts_with_a_key_of_its_own_or_under_debug(settings):
    settings.DEBUG, settings.SECRET_KEY = False, secrets.token_urlsafe(50)
    refuse_to_serve_with_unsafe_secret_key()

    settings.DEBUG, settings.SECRET_KEY = True, THROWAWAY_KEY
    refuse_to_serve_with_unsafe_secret_key()


def gunicorn_check_config(**environment: str) -> subprocess.CompletedProcess:
    """`gunicorn --check-config` as the Procfile starts it, outside pytest, with only the given variables."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py", "--check-config"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("environment", [{}, {"SECRET_KEY": OLD_COMMITTED_KEY}, {"SECRET_KEY": ""}])
def test_gunicorn_refuses_to_start_with_one_line(environment):
    result = gunicorn_check_config(**environment)

    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Glimpse will not start: SECRET_KEY is ")


def test_gunicorn_starts_with_a_key_of_its_own():
    result = gunicorn_check_config(SECRET_KEY=secrets.token_urlsafe(50))

    assert (result.returncode, result.stderr) == (0, "")
