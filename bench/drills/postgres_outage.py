"""Drill: PostgreSQL stops in the middle of a load, then comes back; gunicorn is not restarted.

    .venv/bin/python -m bench.drills.postgres_outage          # about 45 s

Expectations: while the database is down, a link read before the outage keeps answering from
its cached copy and statistics; any answer that fails is a JSON 503 (`{"error": …}`, told to
come back) from the API and a friendly HTML 503 from the share page, neither with a traceback,
and nothing hangs; once PostgreSQL is back, the same gunicorn processes answer 200 again within
a few seconds. A second link, issued before the outage but never read, has no copy: it is
probed during the outage and must get exactly those 503s (with `Retry-After`).
"""

import http.client
import re
import time
from collections import Counter

from bench.drills.stack import Background, print_log_lines, private_stack, verdict
from bench.load import dataset

BEFORE, OUTAGE, AFTER = 5.0, 10.0, 10.0
MIX = {"api cached": 5, "share page": 3, "event": 2}
RECOVERY_SECONDS = 5
TRACEBACK = re.compile(r"Traceback|File &quot;|File \\?\"/", re.IGNORECASE)


def main() -> None:
    with private_stack() as stack:
        unread = issue_unread_token(stack.environment, domain=stack.seeded.domain)
        workers_before = stack.workers()
        load = Background(stack, seconds=BEFORE + OUTAGE + AFTER, kinds=MIX)
        load.sleep_until(BEFORE)
        log_start = stack.log_size()
        stopped_at = load.now()
        stack.postgres.stop()
        load.sleep_until(BEFORE + 2)
        probes = probe_unread_link(stack.target.port, unread, until=lambda: load.now() >= BEFORE + OUTAGE - 1)
        load.sleep_until(BEFORE + OUTAGE)
        stack.postgres.start()
        restarted_at = load.now()
        outcomes = load.finish()
        workers_after = stack.workers()
        master_alive = stack.gunicorn.poll() is None
        log_lines = stack.log_lines(log_start)

    print(f"\nPostgreSQL stopped at {stopped_at:.1f} s, started again at {restarted_at:.1f} s")
    phases = {
        "before": [outcome for outcome in outcomes if outcome.started < stopped_at],
        "down": [outcome for outcome in outcomes if stopped_at <= outcome.started < restarted_at],
        "after": [outcome for outcome in outcomes if outcome.started >= restarted_at],
    }
    for name, chosen in phases.items():
        statuses = Counter((outcome.kind, outcome.status) for outcome in chosen)
        figures = ", ".join(
            f"{kind} {status or 'no answer'}: {count}" for (kind, status), count in sorted(statuses.items())
        )
        slowest = max((outcome.milliseconds for outcome in chosen), default=0)
        print(f"  {name:<7}{len(chosen):>6} requests, slowest {slowest:,.0f} ms; {figures}")

    down = phases["down"]
    api = [outcome for outcome in down if outcome.kind in ("api cached", "event") and outcome.detail]
    api_json = [o for o in api if o.status == 503 and o.detail.startswith("application/json") and '"error"' in o.detail]
    verdict(
        len(api_json) == len(api),
        "a failed API answer is a JSON 503 while the database is down",
        f"{len(api_json)} of {len(api)} failed API answers are JSON 503s" + example(api, api_json),
    )
    pages = [outcome for outcome in down if outcome.kind == "share page" and outcome.detail]
    friendly = [
        o for o in pages if o.status == 503 and o.detail.startswith("text/html") and not TRACEBACK.search(o.detail)
    ]
    verdict(
        len(friendly) == len(pages),
        "a failed share page is a friendly HTML 503, no traceback",
        f"{len(friendly)} of {len(pages)} failed pages" + example(pages, friendly),
    )
    told = [probe for probe in probes if probe_is_told_to_come_back(probe)]
    verdict(
        bool(probes) and len(told) == len(probes),
        "a link with no copy (never read before the outage) is told to come back: JSON 503 from the API, "
        "friendly HTML 503 from the page, each with Retry-After",
        f"{len(told)} of {len(probes)} probes"
        + (f"; e.g. {probes[0][0]} {probes[0][1]} {probes[0][2]} {probes[0][3][:80]!r}" if probes else ""),
    )
    hung = [outcome for outcome in down if outcome.status == 0 or outcome.milliseconds > 2000]
    verdict(not hung, "nothing hangs while the database is down", f"{len(hung)} requests without an answer within 2 s")

    after = phases["after"]
    first_ok = min((o.started for o in after if o.status in (200, 202)), default=None)
    settled = [o for o in after if o.started >= restarted_at + RECOVERY_SECONDS]
    still_failing = [o for o in settled if o.detail]
    recovered_in = (
        f"first success {first_ok - restarted_at:.1f} s after the restart" if first_ok else "no success at all"
    )
    verdict(
        first_ok is not None and not still_failing and settled != [],
        f"recovers without restarting gunicorn (all answers normal from {RECOVERY_SECONDS} s after)",
        f"{recovered_in}; {len(still_failing)} unexpected of {len(settled)} afterwards; master "
        f"{'alive' if master_alive else 'GONE'}, workers {workers_before} -> {workers_after}",
    )
    tracebacks = sum(1 for line in log_lines if line.startswith("Traceback"))
    print(f"  gunicorn log since the stop: {len(log_lines):,} lines, {tracebacks:,} tracebacks; entries:")
    print_log_lines([line for line in log_lines if re.match(r"\d{4}-\d\d-\d\d |\[\d{4}", line)], shown=8)


UNREAD_TOKEN = """
from django.utils import timezone
from analytics.models import Site
from sharing.services import create_share_token
site = Site.objects.get(domain="{domain}")
print("TOKEN " + create_share_token(site=site, now=timezone.now(), label="never read before the outage").raw_token)
"""


def issue_unread_token(environment: dict[str, str], *, domain: str) -> str:
    output = dataset.manage("shell", "--no-imports", "-c", UNREAD_TOKEN.format(domain=domain), environment=environment)
    return next(line for line in output.splitlines() if line.startswith("TOKEN ")).removeprefix("TOKEN ")


def probe_unread_link(port: int, token: str, *, until) -> list[tuple[str, int, str, str]]:
    """(kind, status, Retry-After, content type and body start) of the unread link's API read and page, in turn."""
    probes = []
    paths = {"api": f"/api/public/stats?token={token}&period=7d", "page": f"/share/{token}/"}
    while not until():
        for kind, path in paths.items():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read().decode(errors="replace")
                probes.append(
                    (
                        kind,
                        response.status,
                        response.getheader("Retry-After", ""),
                        f"{response.getheader('Content-Type', '')} {body[:300]}",
                    )
                )
            except (OSError, http.client.HTTPException) as error:
                probes.append((kind, 0, "", str(error)))
            finally:
                connection.close()
        time.sleep(0.5)
    return probes


def probe_is_told_to_come_back(probe: tuple[str, int, str, str]) -> bool:
    kind, status, retry_after, detail = probe
    if status != 503 or not retry_after.isdigit():
        return False
    if kind == "api":
        return detail.startswith("application/json") and '"error"' in detail
    return detail.startswith("text/html") and not TRACEBACK.search(detail)


def example(failed: list, good: list) -> str:
    bad = [outcome for outcome in failed if outcome not in good]
    chosen = bad[0] if bad else (good[0] if good else None)
    return f"; e.g. {chosen.status} {chosen.detail[:140]}" if chosen else ""


if __name__ == "__main__":
    main()
