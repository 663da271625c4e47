"""Drill: a gunicorn worker is killed with `kill -9` in the middle of a load.

    .venv/bin/python -m bench.drills.worker_kill          # about 35 s

Expectations: at most one request is lost (the one the killed worker was serving: nginx
answers it 502, or 503 JSON for the API); gunicorn starts a new worker; the use counts
show what the killed worker had noted but not yet handed over (reported, not judged).
"""

import os
import signal
import time
from collections import Counter

from bench.drills.stack import Background, private_stack, verdict

BEFORE, AFTER = 5.0, 8.0
MIX = {"api cached": 5, "share page": 3, "event": 2}


def main() -> None:
    with private_stack() as stack:
        uses_before = stack.use_count()
        workers_before = stack.workers()
        load = Background(stack, seconds=BEFORE + AFTER, kinds=MIX)
        load.sleep_until(BEFORE)
        victim = workers_before[0]
        killed_at = load.now()
        os.kill(victim, signal.SIGKILL)
        replaced_after = None
        while load.now() < BEFORE + AFTER - 1:
            workers = stack.workers()
            if replaced_after is None and victim not in workers and len(workers) == len(workers_before):
                replaced_after = load.now() - killed_at
            time.sleep(0.05)
        outcomes = load.finish()
        workers_after = stack.workers()
        load.sleep_until(load.now() + 3)  # the surviving workers hand their noted uses over a second after the load
        uses_after = stack.use_count()
        error_log = (stack.directory / "nginx" / "error.log").read_text(errors="replace").splitlines()

    lost = [outcome for outcome in outcomes if outcome.detail]
    print(f"\nWorker {victim} killed at {killed_at:.1f} s; workers {workers_before} -> {workers_after}")
    statuses = Counter((outcome.kind, outcome.status) for outcome in outcomes)
    print(
        "  "
        + ", ".join(f"{kind} {status or 'no answer'}: {count}" for (kind, status), count in sorted(statuses.items()))
    )
    for outcome in lost:
        print(f"    {outcome.started:.2f} s {outcome.kind}: {outcome.status} {outcome.detail[:160]}")
    verdict(len(lost) <= 1, "at most one request lost", f"{len(lost)} of {len(outcomes)} requests failed")
    verdict(
        replaced_after is not None,
        "gunicorn replaces the worker",
        f"new worker within {replaced_after:.2f} s" if replaced_after is not None else "no new worker seen",
    )
    served = sum(1 for outcome in outcomes if outcome.kind in ("api cached", "share page") and outcome.status == 200)
    counted = uses_after - uses_before
    print(
        f"  info  use counts: {served} pages and API answers served, use count +{counted} ({counted - served:+d}: "
        "uses the killed worker had noted but not handed over)"
    )
    upstream = [line for line in error_log if "upstream" in line]
    print(f"  info  nginx error log: {len(upstream)} upstream errors")
    for line in upstream[:3]:
        print(f"        {line[:220]}")


if __name__ == "__main__":
    main()
