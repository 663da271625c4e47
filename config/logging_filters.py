"""Filters on the log handlers: no secrets in any line, and an outage is a few lines, not one per request."""

import logging
from collections.abc import Hashable

from config.log_repeats import DEFAULT_INTERVAL_SECONDS, RepeatLedger, repeats
from config.log_scrubbing import scrub

DJANGO_REDIS_MESSAGE = "Exception ignored"


class CacheOutageAsWarning(logging.Filter):
    """django-redis logs every swallowed Redis failure as an error with a traceback.

    With IGNORE_EXCEPTIONS an outage only means "no cache", so it is reported as a
    one-line warning that names the cause; our own cache warnings keep their message
    (which says what the outage costs) and lose only the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        cause = record.exc_info[1] if record.exc_info else None
        while cause is not None and cause.__cause__ is not None:
            cause = cause.__cause__
        if record.msg == DJANGO_REDIS_MESSAGE:
            record.msg, record.args = "Cache unreachable, answering without it: %s", (cause or "unknown error",)
        elif cause is not None:
            record.msg, record.args = record.getMessage().replace("%", "%%") + ": %s", (cause,)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True


def one_line(error: BaseException) -> str:
    """An error's message on one line (psycopg's connection errors span two): an outage's warning is one line."""
    return " ".join(str(error).split())


BAD_HOST_MESSAGE = "Request refused: its Host header is not in ALLOWED_HOSTS"


class BadHostAsOneKind(logging.Filter):
    """Django logs each refused `Host` as an error quoting the host, with a traceback.

    Anyone can send any `Host`, so the quoted host made every line a new kind that the
    repeat filter could not collapse (7,000 lines of tracebacks for 500 random hosts). The
    record becomes one fixed warning without the host or a traceback: one line per
    interval with a count, and no attacker-chosen text in the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = BAD_HOST_MESSAGE, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True


def kind_of(record: logging.LogRecord) -> Hashable:
    """Records of one kind differ only in their arguments: same logger, level, template, exception type and,
    for Django's "Not Found: /…"-style lines (one template for every 4xx and 5xx), same status."""
    exception_type = type(record.exc_info[1]).__qualname__ if record.exc_info and record.exc_info[1] else None
    template = getattr(record, "template", record.msg)
    template = template if isinstance(template, str) else type(template).__qualname__
    return (record.name, record.levelno, template, exception_type, getattr(record, "status_code", None))


class CollapseRepeats(logging.Filter):
    """Warnings and errors of one kind: the first in full, then one line per interval with a count.

    See `config.log_repeats` for why. Information and debug records (access lines) are
    never held back. A record that closes a window is logged as one line, without its
    traceback, saying how many like it were held back; the count for the last window of
    an outage comes with the next record of that kind.
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL_SECONDS, ledger: RepeatLedger | None = None) -> None:
        super().__init__()
        self.interval = interval
        self.ledger = ledger or repeats

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or self.interval <= 0:
            return True
        verdict = self.ledger.note(kind_of(record), interval=self.interval)
        if verdict.is_summary:
            summary = f"and {verdict.held_back} more like this in the last {verdict.seconds:.0f} s"
            record.msg, record.args = f"{record.getMessage()} ({summary})", None
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return verdict.log


class ScrubSecrets(logging.Filter):
    """Every record leaves with its share tokens cut to a display prefix (see `config.log_scrubbing`).

    The message is formatted here (`msg % args`) so that a token in an argument, such as
    the path in Django's "Not Found: %s", is caught too; the template stays on the record
    as `template` for `CollapseRepeats`. The traceback is formatted and scrubbed, and the
    request Django attaches (`record.request`, with its URL, query and headers) is dropped
    so that no handler can print it. It comes first on a handler, before any filter that
    may stop a record: the record object is shared, and later handlers see it as left here.
    """

    formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "template"):
            record.template = record.msg
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        if getattr(record, "request", None) is not None:
            record.request = None
        return True
