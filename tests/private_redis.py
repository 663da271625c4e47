"""A Redis server of a test's own, on a port of its own, to stop and restart without touching the shared one."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

# The default cache on a port nobody listens on: every command fails as with Redis stopped.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@dataclass(frozen=True)
class PrivateRedis:
    directory: Path
    port: int
    append_only: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def caches(self) -> dict:
        options = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5}
        backend = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{self.port}/0"}
        return {"default": {**backend, "KEY_PREFIX": "glimpse", "OPTIONS": options}}

    def answers(self) -> bool:
        ping = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "ping"]
        return subprocess.run(ping, capture_output=True, text=True, check=False).stdout.strip() == "PONG"

    def start(self) -> None:
        address = ["--bind", "127.0.0.1", "--port", str(self.port)]
        files = ["--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")]
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.append_only else ["--appendonly", "no"]
        subprocess.run(["redis-server", *address, "--save", "", *persistence, *files, "--daemonize", "yes"], check=True)
        self._wait_until(answering=True)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "shutdown", "nosave"], check=False)
        self._wait_until(answering=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_until(self, *, answering: bool) -> None:
        deadline = time.monotonic() + 5
        while self.answers() != answering:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis on port {self.port} did not {'start' if answering else 'stop'}")
            time.sleep(0.02)


def free_port() -> int:
    """A loopback port nobody listens on now, so several test runs on one machine never share a private Redis."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def running_private_redis(*, directory: Path, append_only: bool, port: int | None = None) -> Iterator[PrivateRedis]:
    """Start a private Redis for a fixture to yield, and stop it afterwards; skips (or fails in CI) without one."""
    port = port or free_port()
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server and redis-cli are required in this run but missing")
        pytest.skip("needs redis-server and redis-cli to run a Redis of its own (apt-get install redis-server)")
    redis = PrivateRedis(directory=directory, port=port, append_only=append_only)
    if redis.answers():
        pytest.fail(f"port {port} already has a Redis; this test starts and stops its own there")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
