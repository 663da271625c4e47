"""Slow clients against gunicorn alone and against nginx + gunicorn: does the app keep answering?

    .venv/bin/python -m bench.slowloris            # about 50 s in all, loopback only

For each setup it starts gunicorn (the Procfile's web command: 2 workers of 4 threads) on a
SQLite database of its own in a temporary directory, with nginx (deploy/nginx) in front
or not, then:
  1. measures a cached /api/public/stats hit with wrk (quiet: no slow clients);
  2. opens `--slow` connections (default 500) that each send a request one byte every
     2-4 s and never finish it: most send headers that never end, a fifth send a
     `POST /api/event` body that never ends; a connection the server closes is reopened;
  3. with those held open, measures the cached API hit and the share page with wrk.
It prints req/s, p50/p99 and errors (timeouts, non-2xx) for both setups, and the cached-hit
throughput of nginx + gunicorn against gunicorn alone. wrk gives up on a request after 2 s.
"""

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.load import dataset, servers, traffic

PORT = 8160


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def milliseconds(text: str | None) -> float:
    if text is None:
        return float("nan")
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def run_wrk(url: str, *, seconds: float, connections: int = 8) -> Load:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "2s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    percentile = {match[0]: match[1] for match in re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE)}
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(count) for count in socket_errors.groups()) if socket_errors else 0
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=milliseconds(percentile.get("50")),
        p99_ms=milliseconds(percentile.get("99")),
        errors=errors + (int(non_2xx.group(1)) if non_2xx else 0),
    )


class SlowClients:
    """`count` connections sending a request a byte every 2-4 s, never ending; reopened when the server closes one."""

    def __init__(self, *, port: int, count: int, body_share: float = 0.2) -> None:
        self.port = port
        self.count = count
        self.body_share = body_share
        self.open = self.opened = self.closed_by_server = self.refused = 0
        self.samples: list[int] = []
        self.sampling = True
        self.loop = asyncio.new_event_loop()
        self.stopping: asyncio.Event | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.hold_all(),), daemon=True)

    def start(self) -> None:
        self.thread.start()

    def sample(self) -> None:
        """Note how many connections are open, every half second, until `sampling` is switched off."""
        while self.sampling:
            self.samples.append(self.open)
            time.sleep(0.5)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(10)

    async def hold_all(self) -> None:
        self.stopping = asyncio.Event()
        holders = []
        for index in range(self.count):
            holders.append(asyncio.create_task(self.hold(index)))
            if index % 50 == 49:
                await asyncio.sleep(0.05)
        await asyncio.gather(*holders)

    def prefix(self, index: int) -> bytes:
        if index < self.count * self.body_share:
            head = "POST /api/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            return (head + 'Content-Length: 2000\r\n\r\n{"domain": "example.com", "url": "https://').encode()
        return b"GET /api/public/stats?period=30d HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    async def hold(self, index: int) -> None:
        rng = random.Random(index)
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.refused += 1
                await asyncio.sleep(0.5)
                continue
            self.open += 1
            self.opened += 1
            answered = asyncio.ensure_future(reader.read())
            stopping = asyncio.ensure_future(self.stopping.wait())
            try:
                writer.write(self.prefix(index))
                while True:
                    await asyncio.wait([answered, stopping], timeout=rng.uniform(2, 4), return_when="FIRST_COMPLETED")
                    if answered.done() or stopping.done():
                        break
                    writer.write(b"a")
                    await writer.drain()
            except OSError:
                pass
            finally:
                self.open -= 1
                if answered.done() and not self.stopping.is_set():
                    self.closed_by_server += 1
                    await asyncio.sleep(0.1)
                answered.cancel()
                stopping.cancel()
                writer.transport.abort()


@dataclass(frozen=True)
class Phase:
    wrk_api: Load
    api: traffic.Summary
    page: traffic.Summary


@dataclass(frozen=True)
class Result:
    setup: str
    quiet: Phase
    slow: Phase
    held_open: int
    opened: int
    closed_by_server: int


def phase(*, port: int, token: str, seconds: float) -> Phase:
    """wrk on the cached API hit, then two clients alternating the cached API hit and the share page."""
    wrk_api = run_wrk(f"http://127.0.0.1:{port}/api/public/stats?token={token}&period=30d", seconds=seconds)
    target = traffic.Target(port, token, dataset.DEMO_DOMAIN)
    started = time.monotonic()
    outcomes = traffic.run(
        target=target, seconds=seconds, connections=2, kinds={"api cached": 1, "share page": 1}, timeout=2
    )
    api, page, _ = traffic.summarise(outcomes, seconds=time.monotonic() - started)
    return Phase(wrk_api, api, page)


def measure(*, setup: str, environment: dict[str, str], token: str, options: argparse.Namespace) -> Result:
    behind_nginx = setup == "nginx + gunicorn"
    gunicorn_port = PORT + 1 if behind_nginx else PORT
    nginx = gunicorn = slow = None
    with tempfile.TemporaryDirectory(prefix="glimpse-slowloris-") as directory:
        prefix = Path(directory)
        environment = {**environment, "NUM_PROXIES": "1" if behind_nginx else "0"}
        try:
            gunicorn = servers.start_gunicorn(
                port=gunicorn_port, environment=environment, log_path=prefix / "gunicorn.log"
            )
            if behind_nginx:
                nginx = servers.start_nginx(prefix=prefix, port=PORT, upstream_port=gunicorn_port)
            run_wrk(f"http://127.0.0.1:{PORT}/share/{token}/", seconds=1)
            quiet = phase(port=PORT, token=token, seconds=options.seconds)
            slow = SlowClients(port=PORT, count=options.slow)
            slow.start()
            time.sleep(2)
            sampler = threading.Thread(target=slow.sample, daemon=True)
            sampler.start()
            under_attack = phase(port=PORT, token=token, seconds=options.seconds)
            slow.sampling = False
            sampler.join()
        finally:
            if slow is not None:
                slow.stop()
            servers.stop(nginx)
            servers.stop(gunicorn)
    held_open = int(statistics.median(slow.samples))
    print(
        f"  {setup}: {held_open} of {options.slow} slow connections open (median of {len(slow.samples)} samples, "
        f"lowest {min(slow.samples)}); {slow.opened} opened, {slow.closed_by_server} closed by the server and reopened"
    )
    return Result(setup, quiet, under_attack, held_open, slow.opened, slow.closed_by_server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=500, help="slow connections held open (default 500)")
    parser.add_argument("--seconds", type=float, default=4, help="duration of each measurement (default 4)")
    options = parser.parse_args()
    if options.slow > 2000 or options.seconds > 15:
        sys.exit("Keep it bounded: at most 2000 slow connections and 15 s per measurement.")

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="glimpse-slowloris-db-") as directory:
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory}/glimpse.sqlite3",
            "REDIS_URL": "",
            "PUBLIC_STATS_RATE": "",
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        seeded = dataset.seed(environment=environment, days=7, visitors_per_day=200, cold_sites=0)
        results = [
            measure(setup=setup, environment=environment, token=seeded.token, options=options)
            for setup in ("gunicorn alone", "nginx + gunicorn")
        ]

    print(
        f"\nSQLite, in-process cache, throttle off; {options.slow} slow connections; {options.seconds:g} s per line. "
        "wrk -t2 -c8 --timeout 2s; clients: 2 threads alternating API and page, 2 s timeout (a timeout is an error)"
    )
    print(f"  {'':<46}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}  errors (req/s: answered requests)")
    for result in results:
        print(f"  {result.setup}")
        for when, measured in (("quiet", result.quiet), (f"{options.slow} slow connections", result.slow)):
            wrk = measured.wrk_api
            errors = "no answer at all" if wrk.requests_per_second == 0 else f"{wrk.errors:,}"
            figures = f"{wrk.requests_per_second:>8,.0f}{wrk.p50_ms:>9.1f}{wrk.p99_ms:>9.1f}"
            print(f"    {'cached API, wrk, ' + when:<44}{figures}  {errors}")
            for name, summary in (("cached API", measured.api), ("share page", measured.page)):
                unanswered = sum(summary.unexpected.values())
                answered = summary.per_second * (summary.requests - unanswered) / max(summary.requests, 1)
                print(
                    f"    {name + ', clients, ' + when:<44}{answered:>8,.0f}{summary.p50_ms:>9.1f}"
                    f"{summary.p99_ms:>9.1f}  {unanswered:,}"
                )
    alone, proxied = results
    print(
        f"\nCached-hit throughput (wrk), nginx + gunicorn / gunicorn alone: quiet "
        f"{ratio(proxied.quiet.wrk_api, alone.quiet.wrk_api)}; with {options.slow} slow connections "
        f"{ratio(proxied.slow.wrk_api, alone.slow.wrk_api)}"
    )
    measured = proxied.slow
    quiet_p99 = max(proxied.quiet.wrk_api.p99_ms, proxied.quiet.api.p99_ms, proxied.quiet.page.p99_ms)
    worst_p99 = max(measured.wrk_api.p99_ms, measured.api.p99_ms, measured.page.p99_ms)
    errors = measured.wrk_api.errors + sum(measured.api.unexpected.values()) + sum(measured.page.unexpected.values())
    survived = worst_p99 < 100 and errors == 0 and measured.wrk_api.requests_per_second > 0
    survived = survived and proxied.held_open >= options.slow * 0.95
    print(
        f"nginx + gunicorn with {proxied.held_open} slow connections held open: worst p99 {worst_p99:.1f} ms "
        f"(quiet: {quiet_p99:.1f} ms), "
        f"errors {errors}: {'PASS' if survived else 'FAIL'} (p99 < 100 ms, no errors)"
    )
    print(f"Whole run: {time.monotonic() - started:.0f} s")


def ratio(numerator: Load, denominator: Load) -> str:
    if denominator.requests_per_second == 0:
        return f"{numerator.requests_per_second:,.0f} vs 0 req/s"
    return f"{numerator.requests_per_second / denominator.requests_per_second:.0%}"


if __name__ == "__main__":
    main()
