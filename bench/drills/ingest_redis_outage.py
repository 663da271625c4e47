"""Drill: Redis stops while events keep coming; events wait in each web process's spool and reach the stream when
Redis is back, and the log says so once per interval, not once per event.

    .venv/bin/python -m bench.drills.ingest_redis_outage           # about 1 minute

Redis runs with the append-only file and is stopped cleanly, so the entries still in
the stream come back with it and are written then. Expectations: every event answered
202 throughout, every accepted event stored exactly once, and the gunicorn log's
"Event queue unreachable" lines bounded by 2 workers x (outage / LOG_REPEAT_INTERVAL + 1).
"""

import math

from bench.drills.pipeline import Sender, pipeline_stack, print_tally, queue_warnings, tally, verdict

BEFORE, OUTAGE, AFTER = 6.0, 20.0, 6.0
LOG_REPEAT_INTERVAL = 60  # the default of config.settings.LOG_REPEAT_INTERVAL
WEB_WORKERS = 2


def main() -> None:
    with pipeline_stack(workers=1) as stack:
        sender = Sender(connections=4, pause=0.01)
        sender.sleep_until(BEFORE)
        log_start = stack.log_path.stat().st_size
        stopped_at = sender.now()
        stack.redis.stop()
        sender.sleep_until(BEFORE + OUTAGE)
        during = sum(1 for status in sender.statuses.values() if status)
        stack.redis.start()
        restarted_at = sender.now()
        sender.sleep_until(BEFORE + OUTAGE + AFTER)
        statuses = sender.finish()
        lines = queue_warnings(stack.log_lines(log_start))
        written_in = stack.wait_until_written(seconds=120)
        stored, stored_keys = stack.stored(), stack.stored_keys()

    result = tally(statuses, stored, keys=sender.keys, stored_keys=stored_keys)
    outage = restarted_at - stopped_at
    bound = WEB_WORKERS * (math.ceil(outage / LOG_REPEAT_INTERVAL) + 1)
    print(f"\nRedis stopped at {stopped_at:.1f} s, started again at {restarted_at:.1f} s")
    print_tally(result, stored)
    for line in lines[:6]:
        print(f"        {line[:200]}")
    verdict(
        result.accepted > 0 and not result.other,
        "every event answered 202 throughout",
        f"{result.accepted:,} accepted, {sum(result.other.values())} other answers",
    )
    verdict(
        result.exactly_once and written_in != float("inf"),
        "every accepted event stored exactly once (spooled while Redis was down, then replayed into the stream)",
        f"{len(result.lost)} lost, {len(result.doubled)} stored twice or more; stream empty after {written_in:.1f} s",
    )
    verdict(
        1 <= len(lines) <= bound,
        "the outage is logged once per interval",
        f"{len(lines)} 'Event queue unreachable' lines for {outage:.0f} s and about {during:,} events "
        f"(bound {bound}: {WEB_WORKERS} workers x (outage / {LOG_REPEAT_INTERVAL} s + 1))",
    )


if __name__ == "__main__":
    main()
