import io
import logging
import runpy
import secrets
from pathlib import Path

import pytest
from gunicorn.config import Config

from config.log_repeats import repeats

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


@pytest.fixture(autouse=True)
def no_repeats_noted():
    """The ledger of repeated warnings is process-wide: each test here starts and ends with it empty."""
    repeats.forget()
    yield
    repeats.forget()


@pytest.fixture
def production_key(settings):
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    return settings.SECRET_KEY


@pytest.fixture
def console():
    """What the configured console handler (the one that goes to stdout in production) writes."""
    (handler,) = [handler for handler in logging.getLogger().handlers if handler.name == "console"]
    captured = io.StringIO()
    previous = handler.setStream(captured)
    yield captured
    handler.setStream(previous)


@pytest.fixture
def gunicorn_logger(production_key):
    """gunicorn's logger exactly as config/gunicorn.conf.py sets it up, its two logs captured.

    gunicorn's loggers do not propagate, so pytest hangs its own capture handlers on them
    too, and the logger puts its filters on every handler it finds there. pytest reuses
    those handlers for later tests: their filters are put back as they were afterwards, or
    a repeat-collapsing filter would hide later tests' log records from `caplog`.
    """
    cfg = Config()
    for name, value in runpy.run_path(str(GUNICORN_CONF)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    foreign = [
        (handler, list(handler.filters))
        for log in (logging.getLogger("gunicorn.error"), logging.getLogger("gunicorn.access"))
        for handler in log.handlers
        if not getattr(handler, "_gunicorn", False)
    ]
    logger = cfg.logger_class(cfg)
    streams = {"access": io.StringIO(), "error": io.StringIO()}
    for name, log in (("access", logger.access_log), ("error", logger.error_log)):
        for handler in log.handlers:
            handler.setStream(streams[name])
    logger.captured = streams
    yield logger
    for log in (logger.access_log, logger.error_log):
        for handler in list(log.handlers):
            log.removeHandler(handler)
    for handler, filters in foreign:
        handler.filters = filters
