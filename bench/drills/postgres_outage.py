"""Drill: PostgreSQL stops in the middle of a load, then comes back; gunicorn is not restarted.

    .venv/bin/python -m bench.drills.postgres_outage          # about 45 s

Expectations: while the database is down, a link read before the outage keeps answering from
its cached copy and statistics; any answer that fails is a JSON 503 (`{"error": …}`, told to
come back) from the API and a friendly HTML 503 from the share page, neither with a traceback,
and nothing hangs; once PostgreSQL is back, the same gunicorn processes answer 200 again within
a few seconds.
"""

import re
from collections import Counter

from bench.drills.stack import Background, print_log_lines, private_stack, verdict

BEFORE, OUTAGE, AFTER = 5.0, 10.0, 10.0
MIX = {"api cached": 5, "share page": 3, "event": 2}
RECOVERY_SECONDS = 5
TRACEBACK = re.compile(r"Traceback|File &quot;|File \\?\"/", re.IGNORECASE)


def main() -> None:
    with private_stack() as stack:
        workers_before = stack.workers()
        load = Background(stack, seconds=BEFORE + OUTAGE + AFTER, kinds=MIX)
        load.sleep_until(BEFORE)
        log_start = stack.log_size()
        stopped_at = load.now()
        stack.postgres.stop()
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


def example(failed: list, good: list) -> str:
    bad = [outcome for outcome in failed if outcome not in good]
    chosen = bad[0] if bad else (good[0] if good else None)
    return f"; e.g. {chosen.status} {chosen.detail[:140]}" if chosen else ""


if __name__ == "__main__":
    main()
