"""Bench-only settings: the real ones plus a URL for the constant view that `bench.http` compares against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http.urls"
