"""gunicorn's own logs (access and error) under the same rules as the application's.

gunicorn writes through its own loggers and handlers, which never see Django's LOGGING.
This logger class puts the same filters on them: no share token in any line, and an
outage logged once per interval. The access log also leaves out who asked: visitor IP
addresses are personal data that the analytics deliberately never stores, so the
request logs do not keep them either, whatever format an operator picks.
"""

import logging
import os
import re

from gunicorn.glogging import Logger

from config.log_repeats import DEFAULT_INTERVAL_SECONDS
from config.logging_filters import CollapseRepeats, ScrubSecrets

# gunicorn atoms that hold the client's address: the peer, and the headers proxies use.
CLIENT_ADDRESS_ATOMS = (
    "h",
    "{remote_addr}e",
    "{remote_port}e",
    "{x-forwarded-for}i",
    "{x-real-ip}i",
    "{forwarded}i",
    "{cf-connecting-ip}i",
    "{true-client-ip}i",
)
# `reverse("event")`, which this module cannot ask: gunicorn loads it before Django is set up.
EVENT_PATH = "/api/event"
# gunicorn's "Invalid request from ip=203.0.113.9: Invalid HTTP method: …" warning.
CLIENT_ADDRESS_IN_MESSAGE = re.compile(r"\bip=\S*?(?=: |$)")


class HideClientAddress(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "ip=" in message:
            record.msg, record.args = CLIENT_ADDRESS_IN_MESSAGE.sub("ip=-", message), None
        return True


def accepted_events_logged() -> bool:
    return os.environ.get("ACCESS_LOG_EVENTS", "").strip().lower() in ("1", "true", "yes", "on")


def is_accepted_event(resp, environ: dict) -> bool:
    return (
        environ.get("PATH_INFO") == EVENT_PATH
        and environ.get("REQUEST_METHOD") == "POST"
        and str(resp.status).startswith("202")
    )


class GlimpseLogger(Logger):
    """gunicorn's logger with scrubbed lines, no client addresses and collapsed repeats."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        interval = int(os.environ.get("LOG_REPEAT_INTERVAL", DEFAULT_INTERVAL_SECONDS))
        for handler in self.error_log.handlers:
            for log_filter in (HideClientAddress(), ScrubSecrets(), CollapseRepeats(interval=interval)):
                handler.addFilter(log_filter)
        for handler in self.access_log.handlers:
            handler.addFilter(ScrubSecrets())
        self.skip_accepted_events = not accepted_events_logged()

    def access(self, resp, req, environ, request_time) -> None:
        """Every request's line but an accepted beacon's, unless `ACCESS_LOG_EVENTS` is on.

        Accepted beacons are the bulk of the traffic (thousands a second on a busy
        installation) and are what the product counts; formatting and writing their lines
        was a ninth of a web worker's CPU. A refused or failed beacon (any other status)
        is logged as every other request, and nginx's own access log sees every beacon.
        """
        if self.skip_accepted_events and is_accepted_event(resp, environ):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in CLIENT_ADDRESS_ATOMS:
            atoms[name] = "-"
        return atoms
