"""SECRET_KEY: production runs only on a key of its own, never on one written in this repository.

Django signs sessions, CSRF tokens and password-reset links with the key; anyone who has
it can forge them, and a key in source control is a key everybody has. So no usable key
is committed for production: with DEBUG off and SECRET_KEY unset the key is empty (Django
refuses to sign anything with it, and `check --deploy` fails), and the production server
(gunicorn through `config/gunicorn.conf.py`) refuses to start at all.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Committed, so only for places that can never be production: DEBUG, or the test suite.
THROWAWAY_KEY = "glimpse-throwaway-key-for-debug-and-tests-only-never-for-production"
COMMITTED_KEYS = frozenset({THROWAWAY_KEY, "glimpse-insecure-development-key-set-SECRET_KEY-in-production"})
# Django's own bar (security.W009): long, varied, and not the `startproject` placeholder.
MIN_LENGTH, MIN_UNIQUE_CHARACTERS, DJANGO_PLACEHOLDER_PREFIX = 50, 5, "django-insecure-"
HOW_TO_FIX = "set SECRET_KEY to a long random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def default_secret_key(*, debug: bool) -> str:
    """The key used when SECRET_KEY is not set.

    Under DEBUG (development only) and under pytest the committed throwaway key, so that
    `pytest` and a DEBUG runserver need no environment; pytest itself sets PYTEST_VERSION
    for the length of a run, which no server process has. Everywhere else no key at all.
    """
    return THROWAWAY_KEY if debug or "PYTEST_VERSION" in os.environ else ""


def unsafe_secret_key_reason(secret_key: str) -> str | None:
    """Why `secret_key` must not sign anything in production, or None if it may."""
    if not secret_key:
        return "SECRET_KEY is not set"
    if secret_key in COMMITTED_KEYS or secret_key.startswith(DJANGO_PLACEHOLDER_PREFIX):
        return "SECRET_KEY is a key written in source code"
    if len(secret_key) < MIN_LENGTH or len(set(secret_key)) < MIN_UNIQUE_CHARACTERS:
        return f"SECRET_KEY is too weak (at least {MIN_LENGTH} characters, {MIN_UNIQUE_CHARACTERS} different)"
    return None


def refuse_to_serve_with_unsafe_secret_key() -> None:
    """Stop the production server before it binds a port, with one line saying what to do.

    Raising SystemExit with a message prints just that message to stderr and exits with
    status 1; nothing else in gunicorn's start-up catches it. DEBUG servers are exempt:
    DEBUG is never production, and `check --deploy` fails on it anyway.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    if settings.DEBUG:
        return
    try:
        secret_key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        secret_key = ""
    reason = unsafe_secret_key_reason(secret_key)
    if reason is not None:
        raise SystemExit(f"Glimpse will not start: {reason}; {HOW_TO_FIX}.")
