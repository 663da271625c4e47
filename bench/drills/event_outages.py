"""Drill: nothing accepted is lost, whatever fails and for however long; each fault under a stream of events.

    .venv/bin/python -m bench.drills.event_outages            # about 9 minutes
    .venv/bin/python -m bench.drills.event_outages --short    # about 2 minutes (CI): shorter outages, the same faults
    .venv/bin/python -m bench.drills.event_outages --only=redis-empty --recycle=2000   # one fault, workers recycled

One pipeline stack (private PostgreSQL and Redis with its append-only file, gunicorn
with 2 workers of 4 threads, one ingest worker), then each fault in turn, each with a
sender of its own whose events carry marker paths. Every marker answered 202 must be
stored exactly once once the stream has drained; every other answer (503, or no answer
from a killed worker) is one the client was told about and sends again.

- PostgreSQL stopped for longer than every lifetime of the endpoint's site memory
  (`KNOWN_SITE_SECONDS`), starting well after gunicorn started, with gunicorn's workers
  replaced (`HUP`) in the middle, so new processes must know the site from Redis: 202
  throughout. The full form runs 30 s and 120 s outages starting 70 s in (memory 60 s);
  the short one 10 s with a 3 s memory.
- Redis stopped and started again without its append-only file (empty): events wait in
  the spool, each web process puts back what it queued lately (`analytics.queue_journal`),
  the worker recreates its consumer group, the spools replay.
- Redis flushed (`FLUSHALL`) under load: the same, without the spool.
- Redis at `maxmemory` with `noeviction` while the worker is paused: appends are refused,
  events are spooled, and replayed once Redis has room again.
- The ingest worker killed with `kill -9` three times, each just after taking a batch, a new
  one started each time: the dead workers' entries are claimed after 30 s idle and written once.
- A gunicorn worker killed with `kill -9`, then the master sent `HUP`: only requests the
  killed worker had begun go unanswered; the graceful restart answers every one.

Each fault also keeps what does not depend on it: a reader of the public stats API (a cached
answer) from the start, whose reads between the fault's start and end must all answer 200 with
p99 < 100 ms; a burst from one address against the event limit and against the stats limit during
the fault, which must be refused once past what the limit allows (each of the 2 web processes
counting on its own, across a window boundary); and at most 60 warning, error and traceback lines
added to gunicorn's and the ingest worker's logs from the fault's start until the stream drained
(access and INFO lines are counted apart). A round with no fault, after the PostgreSQL outages (which
must start a known time after gunicorn), shows what the machine gives when all is well.

Redis at `maxmemory` with `allkeys-lru` is not run: an evicting policy can delete the
stream itself, and the start-up check (`QUEUE_DURABILITY_CHECK`) names it instead; the
drill checks that it does.
"""

import os
import shutil
import signal
import sys
import time
from collections import Counter

from bench.drills.pipeline import (
    FAULT_SETTINGS,
    FaultWatch,
    PipelineStack,
    Sender,
    issue_read_token,
    pipeline_stack,
    print_tally,
    tally,
    verdict,
)
from bench.load import dataset

SHORT = "--short" in sys.argv[1:]
# `--only redis-empty,web-kill` runs those faults alone; `--recycle N` replaces each gunicorn worker after about N
# requests (GUNICORN_MAX_REQUESTS), so processes exit in the middle of the faults.
ONLY = next((arg.split("=", 1)[1].split(",") for arg in sys.argv[1:] if arg.startswith("--only=")), None)
RECYCLE = next((arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--recycle=")), None)
PAUSE = 0.004  # between one sender thread's events: 4 threads send about 300 events/s when the server keeps up
CHECK = """
from analytics.queue_checks import durability_problems
from analytics.queue_redis import queue_client
print("PROBLEMS", durability_problems(queue_client()))
"""


def stored_of(stack: PipelineStack, prefix: str) -> Counter:
    return Counter({path: count for path, count in stack.stored().items() if path.startswith(f"/{prefix}/")})


def judge(stack: PipelineStack, sender: Sender, *, told: bool = True) -> bool:
    """Stop the sender, wait for the stream to drain, and judge: every 202 stored exactly once."""
    statuses = sender.finish()
    written_in = stack.wait_until_written(seconds=240)
    stored = stored_of(stack, sender.prefix)
    result = tally(statuses, stored, keys=sender.keys, stored_keys=stack.stored_keys())
    print_tally(result, stored)
    passed = verdict(
        result.exactly_once and written_in != float("inf"),
        "every accepted event stored exactly once",
        f"{len(result.lost)} lost, {len(result.doubled)} stored twice or more, of {result.accepted:,} accepted; "
        f"stream empty {written_in:.1f} s after the load stopped",
    )
    if told:
        passed &= verdict(
            set(result.other) <= {0, 503},
            "every event not accepted was answered 503 or not at all (the client sends it again)",
            ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(result.other.items())) or "none",
        )
    return passed


def no_fault(stack: PipelineStack, *, token: str) -> bool:
    """The same load, reader and probes with nothing failing: what the machine gives when all is well."""
    print("\n--- no fault (the baseline: the same load, reads and probes)")
    sender = Sender(connections=4, pause=PAUSE, prefix="baseline")
    watch = FaultWatch(stack, token=token, name="baseline")
    sender.sleep_until(4)
    watch.fault_began()
    sender.sleep_until(10)
    watch.fault_ended()
    return judge(stack, sender) & watch.judge()


def postgres_outage(stack: PipelineStack, *, token: str, start_after: float, outage: float, name: str) -> bool:
    print(f"\n--- PostgreSQL stopped {outage:.0f} s, {start_after:.0f} s after gunicorn started, HUP in the middle")
    sender = Sender(connections=4, pause=PAUSE, prefix=name)
    watch = FaultWatch(stack, token=token, name=name)
    sender.sleep_until(start_after)
    stack.postgres.stop()
    watch.fault_began()
    stopped_at = sender.now()
    sender.sleep_until(start_after + outage / 2)
    os.kill(stack.gunicorn.pid, signal.SIGHUP)  # new workers, started while the database is away
    sender.sleep_until(start_after + outage)
    during = Counter(status for status in sender.statuses.values())
    watch.fault_ended()
    stack.postgres.start()
    print(f"  PostgreSQL down from {stopped_at:.1f} s to {sender.now():.1f} s; answers so far: {dict(during)}")
    sender.sleep_until(start_after + outage + 5)
    return judge(stack, sender) & watch.judge()


def redis_restarted_empty(stack: PipelineStack, *, token: str, outage: float) -> bool:
    print(f"\n--- Redis stopped {outage:.0f} s and started again without its append-only file")
    log_start = (stack.directory / "worker.log").stat().st_size
    sender = Sender(connections=4, pause=PAUSE, prefix="redis-empty")
    watch = FaultWatch(stack, token=token, name="redis-empty")
    sender.sleep_until(4)
    stack.redis.stop()
    watch.fault_began()
    for kept in stack.redis.directory.iterdir():
        if kept.name.startswith("appendonly"):
            shutil.rmtree(kept) if kept.is_dir() else kept.unlink()
    sender.sleep_until(4 + outage)
    watch.fault_ended()
    stack.redis.start()
    sender.sleep_until(4 + outage + 6)
    passed = judge(stack, sender)
    return passed & group_recreated(stack, log_start) & watch.judge()


def redis_flushed(stack: PipelineStack, *, token: str) -> bool:
    print("\n--- Redis flushed (FLUSHALL) under load")
    log_start = (stack.directory / "worker.log").stat().st_size
    sender = Sender(connections=4, pause=PAUSE, prefix="redis-flush")
    watch = FaultWatch(stack, token=token, name="redis-flush")
    sender.sleep_until(4)
    waiting = stack.stream()
    watch.fault_began()
    stack.redis.command("flushall")
    print(f"  flushed at {sender.now():.1f} s with {waiting[0]} entries in the stream ({waiting[1]} taken)")
    sender.sleep_until(10)
    watch.fault_ended()
    passed = judge(stack, sender)
    return passed & group_recreated(stack, log_start) & watch.judge()


def redis_full(stack: PipelineStack, *, token: str, seconds: float) -> bool:
    print(f"\n--- Redis at maxmemory (noeviction) for {seconds:.0f} s, the ingest worker paused")
    worker = stack.workers[-1]
    watch = FaultWatch(stack, token=token, name="redis-full")
    time.sleep(1)  # the reader has the stats cached before Redis stops taking writes
    used = int(stack.redis.command("info", "memory").split("used_memory:")[1].split()[0])
    stack.redis.command("config", "set", "maxmemory-policy", "noeviction")
    stack.redis.command("config", "set", "maxmemory", str(used + 256 * 1024))
    watch.fault_began()
    sender = Sender(connections=4, pause=PAUSE, prefix="redis-full")
    os.kill(worker.pid, signal.SIGSTOP)
    sender.sleep_until(seconds)
    queued = stack.stream()[0]
    spooled = sum(path.stat().st_size for path in (stack.directory / "spool").glob("*.spool"))
    os.kill(worker.pid, signal.SIGCONT)
    watch.fault_ended()
    stack.redis.command("config", "set", "maxmemory", "0")  # room again: the next append replays the spools
    print(f"  stream held {queued:,} entries at the limit; {spooled:,} bytes spooled")
    sender.sleep_until(seconds + 6)
    passed = judge(stack, sender)
    passed &= verdict(spooled > 0, "appends refused at maxmemory went to the spool", f"{spooled:,} bytes")
    return passed & watch.judge()


def ingest_worker_killed(stack: PipelineStack, *, token: str, kills: int = 3) -> bool:
    """`kill -9` of the ingest worker `kills` times, each just after it took a batch, a new one started each time:
    what the dead workers took is claimed after 30 s idle and written once (their ids are stored)."""
    print(f"\n--- the ingest worker killed with kill -9 {kills} times, each just after taking a batch")
    sender = Sender(connections=4, pause=PAUSE, prefix="ingest-kill")
    watch = FaultWatch(stack, token=token, name="ingest-kill")
    sender.sleep_until(3)
    watch.fault_began()
    taken = []
    for _ in range(kills):
        worker = stack.workers[-1]
        started = time.monotonic()
        while not stack.taken_by(worker.pid) and time.monotonic() - started < 10:
            time.sleep(0.005)
        taken.append(stack.stream()[1])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stack.workers.remove(worker)
        stack.start_worker()
        sender.sleep_until(sender.now() + 1.5)
    sender.sleep_until(sender.now() + 3)
    watch.fault_ended()
    print(f"  entries taken and unacknowledged at each kill: {', '.join(f'{count:,}' for count in taken)}")
    return judge(stack, sender) & watch.judge()


def evicting_policy_is_named(stack: PipelineStack) -> bool:
    print("\n--- Redis with maxmemory-policy allkeys-lru: named by the start-up check")
    stack.redis.command("config", "set", "maxmemory-policy", "allkeys-lru")
    output = dataset.manage("shell", "--no-imports", "-c", CHECK, environment=stack.environment)
    stack.redis.command("config", "set", "maxmemory-policy", "noeviction")
    named = "allkeys-lru" in output
    return verdict(named, "QUEUE_DURABILITY_CHECK names the evicting policy", "named" if named else output[-300:])


def web_worker_killed_then_hup(stack: PipelineStack, *, token: str) -> bool:
    print("\n--- a gunicorn worker killed with kill -9, then the master sent HUP")
    sender = Sender(connections=4, pause=PAUSE, prefix="web-kill")
    watch = FaultWatch(stack, token=token, name="web-kill")
    sender.sleep_until(4)
    victim = sorted(int(pid) for pid in children(stack.gunicorn.pid))[0]
    os.kill(victim, signal.SIGKILL)
    watch.fault_began()
    killed_at = sender.now()
    sender.sleep_until(9)
    before_hup = dict(sender.statuses)
    os.kill(stack.gunicorn.pid, signal.SIGHUP)
    sender.sleep_until(16)
    watch.fault_ended()
    statuses = dict(sender.statuses)
    after_hup = Counter(status for marker, status in statuses.items() if marker not in before_hup)
    unanswered = Counter(status for status in before_hup.values() if status != 202)
    print(f"  worker {victim} killed at {killed_at:.1f} s: not accepted before the HUP {dict(unanswered)}")
    passed = judge(stack, sender)
    passed &= verdict(
        sum(unanswered.values()) <= 4,
        "a killed worker leaves unanswered at most the requests it had begun (4 threads)",
        f"{sum(unanswered.values())}",
    )
    answers = ", ".join(f"{status}: {count}" for status, count in sorted(after_hup.items()))
    passed &= verdict(set(after_hup) == {202}, "a HUP answers every request (graceful)", answers)
    return passed & watch.judge()


def group_recreated(stack: PipelineStack, log_start: int) -> bool:
    """The group is there again (the drained stream shows it read); the log line may be one held back as a repeat."""
    groups = stack.redis.command("xinfo", "groups", "glimpse:events")
    said = worker_lines(stack, log_start, "consumer group was gone")
    return verdict("ingest" in groups, "the worker recreated its consumer group", f"log lines saying so: {said}")


def children(pid: int) -> list[str]:
    return open(f"/proc/{pid}/task/{pid}/children").read().split()


def worker_lines(stack: PipelineStack, start: int, text: str) -> int:
    with (stack.directory / "worker.log").open("rb") as log:
        log.seek(start)
        return sum(1 for line in log.read().decode(errors="replace").splitlines() if text in line)


def main() -> None:
    memory = "3" if SHORT else "60"
    settings = {
        "KNOWN_SITE_SECONDS": memory,
        **FAULT_SETTINGS,
        **({"GUNICORN_MAX_REQUESTS": RECYCLE} if RECYCLE else {}),
    }
    faults = [
        ("pg", lambda stack, token: postgres_outage(stack, token=token, start_after=6, outage=10, name="pg-10"))
        if SHORT
        else None,
        ("pg", lambda stack, token: postgres_outage(stack, token=token, start_after=70, outage=30, name="pg-30"))
        if not SHORT
        else None,
        ("pg", lambda stack, token: postgres_outage(stack, token=token, start_after=70, outage=120, name="pg-120"))
        if not SHORT
        else None,
        ("baseline", lambda stack, token: no_fault(stack, token=token)),
        ("redis-empty", lambda stack, token: redis_restarted_empty(stack, token=token, outage=5 if SHORT else 30)),
        ("redis-flush", lambda stack, token: redis_flushed(stack, token=token)),
        ("redis-full", lambda stack, token: redis_full(stack, token=token, seconds=4 if SHORT else 15)),
        ("ingest-kill", lambda stack, token: ingest_worker_killed(stack, token=token)),
        ("allkeys", lambda stack, token: evicting_policy_is_named(stack)),
        ("web-kill", lambda stack, token: web_worker_killed_then_hup(stack, token=token)),
    ]
    results = []
    with pipeline_stack(workers=1, settings=settings) as stack:
        token = issue_read_token(stack)
        for name, run in [fault for fault in faults if fault is not None]:
            if ONLY is None or name in ONLY:
                results.append(run(stack, token))
    print(f"\n{sum(results)} of {len(results)} faults PASS")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
