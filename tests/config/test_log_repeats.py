"""An outage is logged once per interval with a count, not once per request."""

import io
import logging

import pytest
from django.db import OperationalError

from config.log_repeats import RepeatLedger
from config.logging_filters import CollapseRepeats, ScrubSecrets


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def collapsed_log(clock):
    """A logger whose handler has the production filters, a fake clock and a 60 s interval."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(ScrubSecrets())
    handler.addFilter(CollapseRepeats(interval=60, ledger=RepeatLedger(clock=clock)))
    logger = logging.getLogger("glimpse.test.outage")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def fail_like_a_database_outage(logger: logging.Logger, *, path: str) -> None:
    try:
        raise OperationalError('connection to server at "127.0.0.1", port 5442 failed: Connection refused')
    except OperationalError:
        logger.error("Unhandled error in %s (%s %s)", "PublicStatsApi", "GET", path, exc_info=True)


def test_a_thousand_failing_requests_make_a_few_lines_that_count_them_all(collapsed_log, clock):
    logger, stream = collapsed_log

    for request in range(1_000):  # one every 0.2 s: 200 s of outage
        clock.now = 1_000.0 + request * 0.2
        fail_like_a_database_outage(logger, path="/api/public/stats")

    lines = [line for line in stream.getvalue().splitlines() if line.startswith("ERROR")]
    assert len(lines) == 4  # t=0 in full, then t=60, t=120, t=180
    assert lines[0] == "ERROR glimpse.test.outage Unhandled error in PublicStatsApi (GET /api/public/stats)"
    assert stream.getvalue().count("Traceback") == 1
    # 0.2 … 59.8 s: 299 held back, reported by the record at 60.0 s; and so on.
    assert (
        lines[1:]
        == [
            "ERROR glimpse.test.outage Unhandled error in PublicStatsApi (GET /api/public/stats)"
            " (and 299 more like this in the last 60 s)"
        ]
        * 3
    )
    # The 99 of the last 20 s are reported with the next failure of this kind.
    clock.now = 1_000.0 + 250
    fail_like_a_database_outage(logger, path="/api/public/stats")
    assert stream.getvalue().splitlines()[-1].endswith("(and 99 more like this in the last 70 s)")


def test_after_a_quiet_interval_a_failure_is_logged_in_full_again(collapsed_log, clock):
    logger, stream = collapsed_log

    fail_like_a_database_outage(logger, path="/api/public/stats")
    clock.now += 61
    fail_like_a_database_outage(logger, path="/api/public/stats")

    assert stream.getvalue().count("Traceback") == 2
    assert "more like this" not in stream.getvalue()


def test_kinds_are_counted_apart_and_information_is_never_held_back(collapsed_log, clock):
    logger, stream = collapsed_log

    for _ in range(3):
        fail_like_a_database_outage(logger, path="/api/public/stats")
        fail_like_a_database_outage(logger, path="/api/event")  # same kind: only the path differs
        logger.warning("Cache unreachable, answering without it: %s", "Connection refused")
        logger.info("Roll-up pass took %d ms", 12)

    lines = stream.getvalue().splitlines()
    assert [line for line in lines if line.startswith(("ERROR", "WARNING"))] == [
        "ERROR glimpse.test.outage Unhandled error in PublicStatsApi (GET /api/public/stats)",
        "WARNING glimpse.test.outage Cache unreachable, answering without it: Connection refused",
    ]
    information = [line for line in lines if line.startswith("INFO")]
    assert information == ["INFO glimpse.test.outage Roll-up pass took 12 ms"] * 3


def test_an_interval_of_zero_logs_every_record(clock):
    ledger = RepeatLedger(clock=clock)
    log_filter = CollapseRepeats(interval=0, ledger=ledger)
    record = logging.LogRecord("glimpse.api", logging.ERROR, __file__, 1, "Unhandled error in %s", ("X",), None)

    assert [log_filter.filter(record) for _ in range(3)] == [True, True, True]


def test_the_ledger_forgets_everything_when_asked(clock):
    ledger = RepeatLedger(clock=clock)

    first = ledger.note("kind", interval=60)
    second = ledger.note("kind", interval=60)
    ledger.forget()
    after_forgetting = ledger.note("kind", interval=60)

    assert (first.log, second.log, after_forgetting.log) == (True, False, True)
