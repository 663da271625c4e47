"""Stopping password spraying on the admin login: failed sign-ins counted per network, across every username.

django-axes (`config.admin_lockout`) locks one username from one address after a few wrong
passwords. Someone spraying tries one or two likely passwords on many usernames, which never
trips that lock. So every failed sign-in (a wrong password, an unknown username, a wrong
two-factor code) is also counted for the network it came from, an IPv4 address or an IPv6 /64
(`analytics.client_ip.client_network`, the unit every rate limit counts), whatever the username,
in fixed windows of `ADMIN_LOGIN_NETWORK_RATE` (default `30/hour`). Once a window holds that many,
every sign-in from the network, the right password included, is refused with a 429 page until the
window ends; attempts refused this way are not counted again.

The counts live in the default cache, shared by every worker when it is Redis. When Redis
cannot answer, sign-in is refused (503) rather than left unlimited: unlike the public rate
limits, which count in each process then (`analytics.cache_counters`), a per-process count of
failures would let a sprayer multiply the limit by the number of workers, and an attacker who
can fill or stop Redis would pick exactly that moment.
"""

import dataclasses
import logging
import math
import time

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from redis.exceptions import RedisError

from analytics.cache_counters import increment, redis_pipeline
from analytics.client_ip import client_ip, client_network
from analytics.rate_limit import Rate, parse_rate

logger = logging.getLogger("glimpse.cache")

# How long a refusal for an unreachable store asks the browser to wait.
STORE_RETRY_SECONDS = 30
TEMPLATE = "admin/login_paused_for_network.html"


@dataclasses.dataclass(frozen=True)
class Pause:
    """Why sign-in from a network is refused, and for how many whole seconds."""

    store_unreachable: bool
    retry_after: int


def network_rate() -> Rate | None:
    return parse_rate(settings.ADMIN_LOGIN_NETWORK_RATE)


def failures_key(*, network: str, rate: Rate, now: float) -> str:
    return f"login-failures:{network}:{int(now // rate.seconds)}"


def seconds_left(*, rate: Rate, now: float) -> int:
    return max(1, math.ceil((int(now // rate.seconds) + 1) * rate.seconds - now))


def pause_for(request: HttpRequest, *, now: float) -> Pause | None:
    """None when this request's network may try to sign in; else why not and for how long."""
    rate = network_rate()
    if rate is None:
        return None
    key = failures_key(network=client_network(client_ip(request)), rate=rate, now=now)
    pipelined = redis_pipeline()
    if pipelined is None:
        failures = cache.get(key, 0)
    else:
        pipeline, cache_key = pipelined
        # A write first, so a Redis that is full (and would not count the next failure) refuses here too.
        pipeline.set(cache_key(key), 0, ex=rate.seconds * 2, nx=True)
        pipeline.get(cache_key(key))
        try:
            failures = int(pipeline.execute()[1] or 0)
        except RedisError as error:
            logger.warning("Cache cannot count failed sign-ins, admin sign-in is refused: %s", error)
            return Pause(store_unreachable=True, retry_after=STORE_RETRY_SECONDS)
    if failures < rate.limit:
        return None
    return Pause(store_unreachable=False, retry_after=seconds_left(rate=rate, now=now))


def count_failure(request: HttpRequest, *, now: float) -> None:
    """One more failed sign-in for this request's network, in the current window."""
    rate = network_rate()
    if rate is None:
        return
    key = failures_key(network=client_network(client_ip(request)), rate=rate, now=now)
    pipelined = redis_pipeline()
    if pipelined is None:
        increment(key, timeout=rate.seconds * 2)
        return
    pipeline, cache_key = pipelined
    pipeline.set(cache_key(key), 0, ex=rate.seconds * 2, nx=True)
    pipeline.incr(cache_key(key))
    try:
        pipeline.execute()
    except RedisError as error:
        # The next attempt's check cannot read Redis either, so it is refused: nothing slips through.
        logger.warning("Cache cannot count failed sign-ins, admin sign-in is refused: %s", error)


@receiver(user_login_failed, dispatch_uid="config.login_networks.count_failed_login")
def count_failed_login(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    if request is None or getattr(request, "login_pause", None) is not None:
        return
    count_failure(request, now=time.time())


class LoginPausedForNetwork:
    """Answers a sign-in refused for its network (`request.login_pause`, set by the login backend) with its page.

    The login form would otherwise say only that the password was wrong, as it does for any refusal.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        pause = getattr(request, "login_pause", None)
        if pause is None:
            return response
        paused = TemplateResponse(
            request,
            TEMPLATE,
            {"store_unreachable": pause.store_unreachable, "minutes": math.ceil(pause.retry_after / 60)},
            status=503 if pause.store_unreachable else 429,
        )
        paused["Retry-After"] = str(pause.retry_after)
        return paused.render()
