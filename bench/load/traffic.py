"""A realistic mix of Glimpse requests, sent by a few threads on keep-alive connections to 127.0.0.1.

Every request is recorded (when it started, its kind, status, latency, and the start of
the body of anything unexpected), so the load bench can summarise per kind and the fault
drills can look at what happened in each phase of an outage.

Events are sent as the tracker sends them (static/js/script.js): each with a random UUID
as its `id`, and one answered 503 or 429, or not answered, sent again with the same id
after `Retry-After` seconds (1, 2, 4, 8, 16 s without one), at most `EVENT_RETRIES` times;
a retry is recorded as a request of its own, with the event's `key`. Retries still due when
the time is up are sent before `run` returns.
"""

import heapq
import http.client
import itertools
import json
import random
import secrets
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

PERIODS = ("24h", "7d", "30d", "90d", "365d")
HOT_PERIODS = ("7d", "30d", "7d", "30d", "90d", "24h")
SECTIONS = ("blog", "docs", "pricing", "changelog", "guides")
REFERRERS = (
    "",
    "",
    "",
    "https://www.google.com/",
    "https://duckduckgo.com/",
    "https://news.ycombinator.com/item?id=41234567",
    "https://www.reddit.com/r/selfhosted/comments/abc123/",
    "https://github.com/glimpse/glimpse",
    "android-app://com.google.android.gm/",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
WIDTHS = (390, 414, 768, 1280, 1440, 1920, 2560)

# Weights of each kind of request, and the statuses that count as expected for it.
MIX = {
    "api cached": 40,
    "share page": 15,
    "event": 30,
    "static": 5,
    "bad token api": 4,
    "bad token page": 2,
    "no token api": 1,
}
EXPECTED = {
    "api cached": {200},
    "api uncached": {200},
    "share page": {200},
    "event": {202},
    "static": {200},
    "bad token api": {404},
    "bad token page": {404},
    "no token api": {400},
}
STATIC_PATHS = ("/static/glimpse/share.css", "/static/glimpse/share.js", "/js/script.js")
EVENT_RETRIES = 5  # as the tracker
EVENT_RETRIED = {0, 429, 503}
# The longest a retry waits: the endpoint's Retry-After (10 s) or the tracker's last back-off (16 s).
LONGEST_RETRY_WAIT = 16


@dataclass(frozen=True)
class Target:
    """What the traffic is aimed at: a port on 127.0.0.1, a share token, the tracked domain, and cold tokens."""

    port: int
    token: str
    domain: str
    cold_tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    key: str = ""  # an event's own id


@dataclass(frozen=True)
class Outcome:
    started: float  # seconds since the load began
    kind: str
    status: int  # 0 when no HTTP answer came (connection refused, reset, timeout)
    milliseconds: float
    detail: str = ""  # for anything unexpected: content type and the start of the body, or the error
    retried: str = ""  # a GET whose connection failed (the error), sent again once on a new connection
    key: str = ""  # an event's own id, the same for each of its retries


class Mix:
    """Draws requests: mostly hot share links, then events, share pages, a little static, some bad tokens.

    Uncached periods are paced evenly over the run: each (cold token, period) pair is asked
    once, so each is a real cache miss computed from the database.
    """

    def __init__(self, *, target: Target, seconds: float, kinds: dict[str, int] | None = None) -> None:
        self.target = target
        self.kinds = dict(kinds or MIX)
        self.cold = [(token, period) for period in PERIODS for token in target.cold_tokens]
        self.cold_every = seconds / (len(self.cold) + 1) if self.cold else 0
        self.next_cold_at = self.cold_every
        self.lock = threading.Lock()

    def next_cold(self, elapsed: float) -> tuple[str, str] | None:
        with self.lock:
            if not self.cold or elapsed < self.next_cold_at:
                return None
            self.next_cold_at += self.cold_every
            return self.cold.pop()

    def draw(self, rng: random.Random, elapsed: float) -> Request:
        cold = self.next_cold(elapsed)
        if cold is not None:
            return Request("api uncached", "GET", f"/api/public/stats?token={cold[0]}&period={cold[1]}")
        kind = rng.choices(list(self.kinds), weights=list(self.kinds.values()))[0]
        token = self.target.token
        if kind == "api cached":
            return Request(kind, "GET", f"/api/public/stats?token={token}&period={rng.choice(HOT_PERIODS)}")
        if kind == "share page":
            query = rng.choice(("", "?period=30d", "?period=7d", "?period=30d&embed=1"))
            return Request(kind, "GET", f"/share/{token}/{query}")
        if kind == "event":
            return event_request(rng, domain=self.target.domain)
        if kind == "static":
            return Request(kind, "GET", rng.choice(STATIC_PATHS))
        if kind == "bad token api":
            return Request(kind, "GET", f"/api/public/stats?token=glimpse_{secrets.token_urlsafe(32)}&period=30d")
        if kind == "bad token page":
            return Request(kind, "GET", f"/share/glimpse_{secrets.token_urlsafe(32)}/")
        return Request(kind, "GET", "/api/public/stats?period=30d")


def event_request(rng: random.Random, *, domain: str) -> Request:
    path = f"/{rng.choice(SECTIONS)}/post-{int(rng.paretovariate(1.2)) % 400}"
    if rng.random() < 0.1:
        path += "?utm_source=newsletter&utm_medium=email"
    key = str(uuid.uuid4())
    body = {"domain": domain, "url": f"https://{domain}{path}", "referrer": rng.choice(REFERRERS), "id": key}
    if rng.random() < 0.9:
        body["width"] = rng.choice(WIDTHS)
    # The tracking script sends text/plain through sendBeacon, application/json through fetch.
    content_type = "text/plain;charset=UTF-8" if rng.random() < 0.7 else "application/json"
    headers = {
        "Content-Type": content_type,
        "User-Agent": rng.choice(USER_AGENTS),
        "Origin": f"https://{domain}",
        "Referer": f"https://{domain}{path}",
    }
    return Request("event", "POST", "/api/event", json.dumps(body).encode(), headers, key)


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[int, str, bytes, str | None]:
    """Status, content type, body and Retry-After of the answer."""
    headers = {"User-Agent": "glimpse-bench-load", "Accept": "*/*", **request.headers}
    connection.request(request.method, request.path, body=request.body or None, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.will_close:
        connection.close()
    return response.status, response.getheader("Content-Type", ""), body, response.getheader("Retry-After")


def run(
    *,
    target: Target,
    seconds: float,
    connections: int,
    max_requests: int = 500_000,
    seed: int = 1,
    kinds: dict[str, int] | None = None,
    expected: Callable[[str, int], bool] | None = None,
    timeout: float = 10,
    began: float | None = None,
) -> list[Outcome]:
    """Send the mix from `connections` threads for `seconds` (and at most `max_requests` in all); every outcome.

    `expected(kind, status)` decides which answers keep only their status; the others keep a detail too.
    Times are counted from `began` (a `time.monotonic()` reading; default: now).
    """
    is_expected = expected or (lambda kind, status: status in EXPECTED[kind])
    mix = Mix(target=target, seconds=seconds, kinds=kinds)
    outcomes: list[list[Outcome]] = [[] for _ in range(connections)]
    budget = iter(range(max_requests))
    budget_lock = threading.Lock()
    began = time.monotonic() if began is None else began

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=timeout)
        mine = outcomes[index]
        # (due, order, sends so far, event) of this thread's refused events; `order` keeps equal times comparable.
        retries: list[tuple[float, int, int, Request]] = []
        order = itertools.count()
        while True:
            elapsed = time.monotonic() - began
            if retries and retries[0][0] <= time.monotonic():
                _, _, sends, request = heapq.heappop(retries)
            elif elapsed >= seconds:
                if not retries:
                    break
                time.sleep(min(0.1, max(0.0, retries[0][0] - time.monotonic())))
                continue
            else:
                with budget_lock:
                    if next(budget, None) is None:
                        break
                request, sends = mix.draw(rng, elapsed), 0
            started = time.monotonic()
            retried = ""
            retry_after = None
            for attempt in range(2):
                try:
                    status, content_type, body, retry_after = send(connection, request)
                    detail = "" if is_expected(request.kind, status) else f"{content_type} {body[:600]!r}"
                    break
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    status, detail = 0, f"{type(error).__name__}: {error}"
                    # As browsers and HTTP libraries do, a GET cut by a failed connection (a kept-alive
                    # connection closed under it, a node dying mid-answer) is sent again once; a POST is not.
                    if request.method != "GET" or attempt:
                        break
                    retried = detail
            mine.append(
                Outcome(
                    started - began,
                    request.kind,
                    status,
                    (time.monotonic() - started) * 1000,
                    detail,
                    retried,
                    request.key,
                )
            )
            if request.kind == "event" and status in EVENT_RETRIED and sends < EVENT_RETRIES:
                wait = max(int(retry_after) if retry_after and retry_after.isdigit() else 0, 1 << sends)
                heapq.heappush(retries, (time.monotonic() + wait, next(order), sends + 1, request))
        connection.close()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout + 5 + EVENT_RETRIES * (LONGEST_RETRY_WAIT + timeout))
    return sorted((outcome for mine in outcomes for outcome in mine), key=lambda outcome: outcome.started)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True)
class Summary:
    kind: str
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    unexpected: Counter


def summarise(outcomes: list[Outcome], *, seconds: float) -> list[Summary]:
    """Per kind, then all together: requests, requests per second, p50/p99 latency, unexpected statuses."""
    kinds = sorted({outcome.kind for outcome in outcomes}, key=lambda kind: list(EXPECTED).index(kind))
    summaries = []
    for kind in [*kinds, "all"]:
        chosen = [outcome for outcome in outcomes if kind in ("all", outcome.kind)]
        latencies = [outcome.milliseconds for outcome in chosen]
        summaries.append(
            Summary(
                kind=kind,
                requests=len(chosen),
                per_second=len(chosen) / seconds,
                p50_ms=statistics.median(latencies) if latencies else float("nan"),
                p99_ms=percentile(latencies, 0.99),
                unexpected=Counter(outcome.status for outcome in chosen if outcome.detail),
            )
        )
    return summaries


def print_summaries(summaries: list[Summary]) -> None:
    print(f"  {'kind':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}  unexpected statuses")
    for summary in summaries:
        unexpected = ", ".join(
            f"{status or 'no answer'}: {count}" for status, count in sorted(summary.unexpected.items())
        )
        print(
            f"  {summary.kind:<16}{summary.requests:>9,}{summary.per_second:>8,.0f}{summary.p50_ms:>8.1f}"
            f"{summary.p99_ms:>8.1f}  {unexpected or 'none'}"
        )
