"""Drill: PostgreSQL stops for 30 s while events keep coming; every accepted event is stored exactly once afterwards.

    .venv/bin/python -m bench.drills.ingest_postgres_outage        # about 1.5 minutes

The endpoint needs no database to accept an event (sites and the day's salt are held in
each process, the event goes to the Redis Stream), so it keeps answering 202; the ingest
worker's batches fail and stay in the stream, taken but not acknowledged, and are written
once PostgreSQL is back. Every event carries a marker path: after the stream has
drained, each marker answered 202 must be stored once (none lost, none twice).
"""

from bench.drills.pipeline import Sender, pipeline_stack, print_tally, tally, verdict

BEFORE, OUTAGE, AFTER = 8.0, 30.0, 8.0


def main() -> None:
    with pipeline_stack(workers=1) as stack:
        sender = Sender(connections=4, pause=0.01)
        sender.sleep_until(BEFORE)
        stopped_at = sender.now()
        stack.postgres.stop()
        sender.sleep_until(BEFORE + OUTAGE)
        backlog = stack.stream()
        stack.postgres.start()
        restarted_at = sender.now()
        sender.sleep_until(BEFORE + OUTAGE + AFTER)
        statuses = sender.finish()
        written_in = stack.wait_until_written(seconds=180)
        stored, stored_keys = stack.stored(), stack.stored_keys()
        worker_log = (stack.directory / "worker.log").read_text(errors="replace").splitlines()

    result = tally(statuses, stored, keys=sender.keys, stored_keys=stored_keys)
    print(f"\nPostgreSQL stopped at {stopped_at:.1f} s, started again at {restarted_at:.1f} s")
    print(f"  stream when PostgreSQL came back: {backlog[0]:,} entries, {backlog[1]:,} taken and not acknowledged")
    print_tally(result, stored)
    failed_batches = sum(1 for line in worker_log if "Ingest batch failed" in line)
    print(f"  worker log: {failed_batches} failed-batch lines (one per retry, every second, collapsed by the filter)")
    verdict(
        result.accepted > 0 and not result.other,
        "the endpoint keeps accepting (202) while PostgreSQL is down",
        f"{result.accepted:,} accepted, {sum(result.other.values())} other answers",
    )
    verdict(
        written_in != float("inf"),
        "the stream drains once PostgreSQL is back",
        f"empty {written_in:.1f} s after the load stopped" if written_in != float("inf") else "not empty after 180 s",
    )
    verdict(
        result.exactly_once,
        "every accepted event stored exactly once",
        f"{len(result.lost)} lost, {len(result.doubled)} stored twice or more, of {result.accepted:,} accepted",
    )


if __name__ == "__main__":
    main()
