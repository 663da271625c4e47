"""The one refusal the event endpoint gives for an outage: the event cannot be kept now, send it again later.

Each part of the event path that can find no durable place for an event (no site copy,
no salt, a full spool) raises a subclass; `POST /api/event` answers every one with 503
and `Retry-After`, and the tracker retries with back-off, so nothing is dropped silently.
"""

RETRY_AFTER_SECONDS = 10


class EventsUnavailable(RuntimeError):
    """The event was not accepted; the sender should retry after `RETRY_AFTER_SECONDS`."""
