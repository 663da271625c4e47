"""`/healthz`, `/readyz` and `/metrics`: what a load balancer, an orchestrator and Prometheus ask a node.

- `/healthz` answers 200 while the process can answer at all; it touches no database and no
  Redis, so a dependency's outage never makes an orchestrator restart every web process at once.
- `/readyz` checks what serving needs (the database, every migration applied, Redis when
  configured) and answers 503 when one fails. A read replica that lags or is down makes the
  answer "degraded" but still 200: statistics are then read from the primary, so the node serves
  everything, and a 503 on every node at once would take the whole site out of the balancer. The status code is public;
  which check failed, and why, is shown only to a monitoring client (`is_monitoring_client`), as
  it tells an attacker what is down. One answer is reused for `READYZ_CACHE_SECONDS`, so asking
  it in a loop costs the database nothing more.
- `/metrics` is for monitoring clients only; anyone else gets the same 404 as any unknown page.

A monitoring client shows `Authorization: Bearer <MONITORING_TOKEN>` or comes from an address
in `MONITORING_ALLOWED_IPS`. With neither configured nobody is one: closed by default.
"""

import hmac
import ipaddress
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from redis.exceptions import RedisError

from analytics.client_ip import client_ip
from analytics.monitoring import EventStreamCollector, ReplicaLagCollector
from analytics.process_state import register_reset
from analytics.read_replicas import replica_aliases, replica_lags

NO_STORE = {"Cache-Control": "no-store"}
READYZ_CACHE_SECONDS = 1.0

Check = Callable[[], str | None]


def is_monitoring_client(request: HttpRequest) -> bool:
    """The bearer token (compared in constant time) or an allowed address; never both unset and true."""
    token = settings.MONITORING_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    if not settings.MONITORING_ALLOWED_IPS:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.MONITORING_ALLOWED_IPS)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"}, headers=NO_STORE)


def database_problem() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"unreachable ({type(error).__name__})"
    return None


class MigrationsApplied:
    """Once every migration was found applied, this process trusts it: a release migrates before it starts."""

    def __init__(self) -> None:
        self.applied = False

    def __call__(self) -> str | None:
        if self.applied:
            return None
        try:
            loader = MigrationLoader(connections[DEFAULT_DB_ALIAS])
        except DatabaseError as error:
            return f"cannot be read ({type(error).__name__})"
        # Every node, not a plan towards the leaves: a plan skips a target recorded as applied.
        missing = set(loader.graph.nodes) - set(loader.applied_migrations)
        if missing:
            return f"{len(missing)} not applied"
        self.applied = True
        return None

    def forget(self) -> None:
        self.applied = False


migrations_applied = MigrationsApplied()
register_reset("migrations-applied", migrations_applied.forget)


def redis_problem() -> str | None:
    if not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
        return None
    try:
        get_redis_connection(DEFAULT_CACHE_ALIAS).ping()
    except RedisError as error:
        return f"unreachable ({type(error).__name__})"
    return None


def replica_problem() -> str | None:
    """Every replica that would be skipped now, and why (None: all usable, or none configured)."""
    limit = settings.REPLICA_MAX_LAG_SECONDS
    problems = []
    for alias in replica_aliases():
        lag = replica_lags.lag(alias)
        if lag is None:
            problems.append(f"{alias} unreachable")
        elif lag > limit:
            problems.append(f"{alias} {lag:.1f} s behind (limit {limit:g} s)")
    return "; ".join(problems) + ": statistics read from the primary" if problems else None


CHECKS: dict[str, Check] = {
    "database": database_problem,
    "migrations": migrations_applied,
    "redis": redis_problem,
    "replicas": replica_problem,
}
# Checks whose failure degrades the node without making it unready.
DEGRADING = {"replicas"}


class Readiness:
    """The last answer of every check, reused for `READYZ_CACHE_SECONDS` (one check at a time per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._problems: dict[str, str] = {}

    def problems(self) -> dict[str, str]:
        with self._lock:
            if self._checked_at is None or time.monotonic() - self._checked_at >= READYZ_CACHE_SECONDS:
                self._problems = {name: problem for name, check in CHECKS.items() if (problem := check())}
                self._checked_at = time.monotonic()
            return self._problems

    def forget(self) -> None:
        with self._lock:
            self._checked_at = None


readiness = Readiness()
register_reset("readiness", readiness.forget)


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    problems = readiness.problems()
    unready = set(problems) - DEGRADING
    body: dict = {"status": "unavailable" if unready else "degraded" if problems else "ok"}
    if is_monitoring_client(request):
        body["checks"] = {name: problems.get(name, "ok") for name in CHECKS}
    return JsonResponse(body, status=503 if unready else 200, headers=NO_STORE)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not is_monitoring_client(request):
        raise Http404
    shared = CollectorRegistry()
    shared.register(EventStreamCollector())
    shared.register(ReplicaLagCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        text = generate_latest(processes)
    else:
        text = generate_latest(REGISTRY)
    return HttpResponse(text + generate_latest(shared), content_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
