"""Drill: Redis stops in the middle of a load, then comes back.

    .venv/bin/python -m bench.drills.redis_outage            # about 45 s; --no-aof: Redis without persistence

Expectations: the API and share pages keep answering 200 throughout; every successful
use is counted (the demo token's use count grows by exactly the number of 200s); the log
reports the outage, not once per request (the lines mentioning the cache while Redis is
down are counted and printed).
"""

import argparse
import re
import statistics

from bench.drills.stack import Background, print_log_lines, private_stack, verdict

BEFORE, OUTAGE, AFTER = 6.0, 12.0, 6.0
MIX = {"api cached": 6, "share page": 2, "event": 2}
CACHE_LINE = re.compile(r"cache|redis", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-aof", action="store_true", help="run Redis without the append-only file")
    options, _ = parser.parse_known_args()
    with private_stack(aof=not options.no_aof) as stack:
        uses_before = stack.use_count()
        load = Background(stack, seconds=BEFORE + OUTAGE + AFTER, kinds=MIX)
        load.sleep_until(BEFORE)
        pending = stack.redis.pending_uses()
        log_start = stack.log_size()
        stopped_at = load.now()
        stack.redis.stop()
        load.sleep_until(BEFORE + OUTAGE)
        stack.redis.start()
        restarted_at = load.now()
        log_end = stack.log_size()
        outcomes = load.finish()
        load.sleep_until(load.now() + 3)  # each worker hands its last noted uses over a second after they stop
        uses_after = stack.use_count()
        keys_after = int(stack.redis.command("dbsize") or 0)
        lines = [line for line in stack.log_lines(log_start, log_end) if CACHE_LINE.search(line)]

    persistence = "no persistence" if options.no_aof else "append-only file"
    print(f"\nRedis ({persistence}) stopped at {stopped_at:.1f} s, started again at {restarted_at:.1f} s")
    during = [outcome for outcome in outcomes if stopped_at <= outcome.started < restarted_at]
    reads = [outcome for outcome in outcomes if outcome.kind in ("api cached", "share page")]
    failed = [outcome for outcome in outcomes if outcome.detail]
    p99 = sorted(outcome.milliseconds for outcome in during)[int(0.99 * len(during))] if during else float("nan")
    print(
        f"  {len(outcomes)} requests, {len(during)} while Redis was down (p50 "
        f"{statistics.median(outcome.milliseconds for outcome in during):.1f} ms, p99 {p99:.1f} ms)"
    )
    for outcome in failed[:5]:
        print(f"    {outcome.started:.1f} s {outcome.kind}: {outcome.status} {outcome.detail[:160]}")

    verdict(
        not failed,
        "every request answered as usual (200, events 202)",
        f"{len(failed)} unexpected of {len(outcomes)}, {len(during)} during the outage",
    )
    served = sum(1 for outcome in reads if outcome.status == 200)
    counted = uses_after - uses_before
    verdict(
        counted == served,
        "use counts kept",
        f"{served} pages and API answers served, use count +{counted} "
        f"({counted - served:+d}); {pending} uses were pending in Redis when it stopped",
    )
    seconds = restarted_at - stopped_at
    verdict(
        len(lines) < max(len(during) / 10, 1),
        "the outage is logged, not once per request",
        f"{len(lines)} log lines mention the cache in {seconds:.1f} s ({len(during)} requests, 2 workers)",
    )
    print_log_lines(lines)
    verdict(keys_after > 0, "Redis is used again once it is back", f"{keys_after} keys in Redis at the end")


if __name__ == "__main__":
    main()
