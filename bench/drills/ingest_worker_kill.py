"""Drill: an ingest worker is killed with `kill -9` in the middle of a batch; a new worker writes what it left.

    .venv/bin/python -m bench.drills.ingest_worker_kill            # about 1.5 minutes

With no worker running, a backlog of events is accepted; then a worker starts on it
(batches of 1,000) and is killed with SIGKILL after it has taken a batch, three times,
at different moments of the batch. Its entries stay in the stream, taken but never
acknowledged; a new worker claims them after 30 s idle (XAUTOCLAIM) and writes them,
and an entry whose batch had committed before the kill is a no-op the second time (its
id is stored with its pageview). Expectation: every accepted event stored once.
"""

import os
import signal
import time

from bench.drills.pipeline import Sender, pipeline_stack, print_tally, tally, verdict

BACKLOG_SECONDS = 12.0
KILL_AFTER = (0.05, 0.4, 1.5)  # seconds after the worker has taken its first batch


def kill_mid_batch(stack, *, delay: float) -> tuple[float, tuple[int, int], tuple[int, int]]:
    """Start a worker, wait until it has taken a batch, wait `delay`, SIGKILL it; (waited, stream before, after)."""
    worker = stack.start_worker("--batch", "1000")
    started = time.monotonic()
    while not stack.taken_by(worker.pid) and time.monotonic() - started < 30:
        time.sleep(0.01)
    before = stack.stream()
    time.sleep(delay)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    return time.monotonic() - started, before, stack.stream()


def main() -> None:
    with pipeline_stack(workers=0) as stack:
        sender = Sender(connections=4)
        sender.sleep_until(BACKLOG_SECONDS)
        kills = [kill_mid_batch(stack, delay=delay) for delay in KILL_AFTER]
        statuses = sender.finish()
        stored_after_kills = sum(stack.stored().values())
        stack.start_worker()
        written_in = stack.wait_until_written(seconds=180)
        stored, stored_keys = stack.stored(), stack.stored_keys()

    result = tally(statuses, stored, keys=sender.keys, stored_keys=stored_keys)
    print()
    for (waited, before, after), delay in zip(kills, KILL_AFTER, strict=True):
        print(
            f"  worker killed {delay:.2f} s after taking a batch ({waited:.2f} s after starting): stream "
            f"{before[0]:,} entries / {before[1]:,} pending before, {after[0]:,} / {after[1]:,} after"
        )
    print(f"  {stored_after_kills:,} pageviews stored when the last killed worker died")
    print_tally(result, stored)
    verdict(
        written_in != float("inf"),
        "a new worker takes over the killed workers' entries",
        f"stream empty {written_in:.1f} s after it started (entries idle 30 s are claimed)"
        if written_in != float("inf")
        else "stream not empty after 180 s",
    )
    verdict(
        result.exactly_once,
        "nothing lost, nothing doubled",
        f"{len(result.lost)} lost, {len(result.doubled)} stored twice or more, of {result.accepted:,} accepted",
    )


if __name__ == "__main__":
    main()
