"""`POST /api/event` in the OpenAPI schema.

The event endpoint is a plain Django view (the hottest path, no DRF negotiation), so
drf-spectacular cannot see it; this post-processing hook adds its description.
"""

# An absolute URL with a host, printable ASCII only (a browser percent-encodes the rest).
URL_PATTERN = r"^{schemes}://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{{1,5}})?(/[!-~]*)?$"

EVENT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["domain", "url"],
    "properties": {
        "domain": {
            "type": "string",
            "minLength": 1,
            "maxLength": 253,
            "pattern": r"^[A-Za-z0-9.-]+$",
            "description": "The site's domain as registered.",
        },
        "url": {
            "type": "string",
            "maxLength": 2048,
            "pattern": URL_PATTERN.format(schemes="https?"),
            "description": "The page's absolute http(s) URL.",
        },
        "referrer": {
            "type": "string",
            "maxLength": 2048,
            "pattern": f"^$|{URL_PATTERN.format(schemes='[a-z][a-z0-9+.-]*')}",
            "description": "document.referrer: empty, or an absolute URL.",
        },
        "width": {"type": "integer", "minimum": 1, "maximum": 100000, "description": "Viewport width in CSS px."},
        "id": {
            "type": "string",
            "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "description": (
                "The event's own id, a random UUID in lowercase (crypto.randomUUID()), the same on every retry: "
                "an event sent again with it is stored once. Optional."
            ),
        },
    },
}
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def error(description: str) -> dict:
    return {"description": description, "content": ERROR_BODY}


EVENT_OPERATION = {
    "operationId": "record_event",
    "summary": "Record one pageview from the tracking script",
    "description": "Bots are accepted (202) and dropped. The body is at most 4 KB; text/plain needs no CORS preflight.",
    "tags": ["event"],
    "requestBody": {
        "required": True,
        "content": {"text/plain": {"schema": EVENT_BODY}, "application/json": {"schema": EVENT_BODY}},
    },
    "responses": {
        "202": {"description": "Accepted (recorded, or dropped as a bot)."},
        "400": error("Malformed event; the message says what to fix."),
        "404": error("Unknown site: register this domain first."),
        "405": error("Method not allowed"),
        "429": error("Too many requests (see Retry-After)"),
        "500": error("Internal server error"),
    },
}


def add_event_api(result: dict, generator: object, request: object, public: bool) -> dict:
    result.setdefault("paths", {})["/api/event"] = {"post": EVENT_OPERATION}
    return result
