import logging


class CacheOutageAsWarning(logging.Filter):
    """django-redis logs every swallowed Redis failure as an error with a traceback.

    With IGNORE_EXCEPTIONS an outage only means "no cache", so it is reported as a
    one-line warning instead of flooding the error log on every request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        cause = record.exc_info[1] if record.exc_info else None
        while cause is not None and cause.__cause__ is not None:
            cause = cause.__cause__
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args, record.exc_info, record.exc_text = (
            "Cache unreachable, answering without it: %s",
            (cause or "unknown error",),
            None,
            None,
        )
        return True
