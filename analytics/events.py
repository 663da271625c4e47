"""The body of `POST /api/event`, checked strictly before anything touches the database."""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from analytics.text import is_storable

MAX_BODY_BYTES = 4096
ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
FIELDS = {"domain", "url", "referrer", "width", "id"}
DOMAIN_MAX_LENGTH = 253
WIDTH_MIN, WIDTH_MAX = 1, 100_000
# The tracker's id for an event, kept across its retries: a random UUID as `crypto.randomUUID()` writes it.
EVENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What `str.isspace` calls white space (`\s` matches the same characters) and the C0 control characters.
SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


class InvalidEvent(ValueError):
    """The event cannot be accepted; the message tells the sender what to fix."""


@dataclass(frozen=True)
class PageviewEvent:
    domain: str
    url: str
    referrer: str = ""
    width: int | None = None
    event_id: str | None = None


def parse_event(*, body: bytes, content_type: str) -> PageviewEvent:
    """Validate a pageview body: a JSON object with `domain`, `url`, and optional `referrer`, `width` and `id`.

    `text/plain` is accepted because that is what `navigator.sendBeacon` sends for a
    string, and it is the type that lets a cross-origin POST skip a CORS preflight.
    """
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent(f"Body too large: at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise InvalidEvent("Body is empty: send a JSON object")
    if content_type.split(";", 1)[0].strip().lower() not in ACCEPTED_CONTENT_TYPES:
        raise InvalidEvent("Content-Type must be application/json or text/plain")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidEvent("Body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidEvent("Body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidEvent(f"Unknown field: {unknown[0]}")
    return PageviewEvent(
        domain=domain_field(data.get("domain")),
        url=url_field(data.get("url")),
        referrer=referrer_field(data.get("referrer")),
        width=width_field(data.get("width")),
        event_id=id_field(data.get("id")),
    )


def domain_field(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent("domain is required: the site's domain as a string")
    if len(value) > DOMAIN_MAX_LENGTH:
        raise InvalidEvent(f"domain is too long: at most {DOMAIN_MAX_LENGTH} characters")
    require_storable("domain", value)
    return value.strip()


def url_field(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidEvent("url is required: the page's absolute http(s) URL as a string")
    if not is_absolute_url(value, schemes=("http", "https")):
        raise InvalidEvent("url must be an absolute http or https URL")
    require_storable("url", value)
    return value


def referrer_field(value: object) -> str:
    """`document.referrer` is either empty or an absolute URL (`android-app://…` included)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidEvent("referrer must be a string")
    if not is_absolute_url(value):
        raise InvalidEvent("referrer must be an absolute URL or empty")
    require_storable("referrer", value)
    return value


def require_storable(name: str, value: str) -> None:
    """Only a hostile client sends a NUL or half a surrogate pair (browsers encode both in URLs): refused."""
    if not is_storable(value):
        raise InvalidEvent(f"{name} contains a control character or an unpaired surrogate")


def width_field(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not WIDTH_MIN <= value <= WIDTH_MAX:
        raise InvalidEvent(f"width must be an integer from {WIDTH_MIN} to {WIDTH_MAX}")
    return value


def id_field(value: object) -> str | None:
    """The event's own id, which makes a retried event one event: a UUID in lowercase (36 characters), or absent.

    Anything else is refused rather than ignored: a sender whose ids are malformed would
    otherwise have its retries stored twice without ever learning why.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not EVENT_ID.fullmatch(value):
        raise InvalidEvent("id must be a random UUID in lowercase, as crypto.randomUUID() writes it, or left out")
    return value


def is_absolute_url(value: str, *, schemes: tuple[str, ...] | None = None) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    if SPACE_OR_CONTROL.search(value):
        return False
    return bool(host) and bool(parts.scheme) and (schemes is None or parts.scheme.lower() in schemes)
