"""`POST /api/event`: the endpoint the tracking script reports pageviews to.

Plain Django rather than DRF: it is the hottest path in the app and needs none of
DRF's negotiation. It sets no cookie and takes no CSRF token (the script runs on
other sites), and every error is JSON. It is open to the whole internet, so the
cheapest refusal comes first: the per-client rate limit, before the body is read.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from analytics.client_ip import client_ip, client_network
from analytics.events import MAX_BODY_BYTES, InvalidEvent, parse_event
from analytics.geo import trusted_country_header
from analytics.ingestion import Client, UnknownSite, ingest_pageview
from analytics.monitoring import EVENTS
from analytics.new_visitors import TooManyNewVisitors
from analytics.rate_limit import parse_rate, seconds_to_wait
from analytics.request_body import read_capped_body
from analytics.unavailable import RETRY_AFTER_SECONDS, EventsUnavailable

UNKNOWN_SITE = "Unknown site: register this domain in Glimpse first"
TOO_MANY_REQUESTS = "Too many requests"
UNAVAILABLE = "Events cannot be accepted right now: send this one again later"
NO_STORE = {"Cache-Control": "no-store"}


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> JsonResponse:
    """Every refusal of this endpoint is answered here, so here it is counted."""
    EVENTS.labels(outcome="refused").inc()
    return JsonResponse({"error": message}, status=status, headers={**NO_STORE, **(headers or {})})


class EventApi(View):
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        ip = client_ip(request)
        rate = parse_rate(settings.EVENT_RATE)
        wait = (
            seconds_to_wait(scope="event", client=client_network(ip), rate=rate, now=now.timestamp()) if rate else None
        )
        if wait is not None:
            return error(429, TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error(400, "Content-Length is not a number")
        if declared_length > MAX_BODY_BYTES:
            return error(400, f"Body too large: at most {MAX_BODY_BYTES} bytes")
        try:
            # Read one byte past the limit, never the whole stream, whatever the client claims.
            event = parse_event(
                body=read_capped_body(request, limit=MAX_BODY_BYTES), content_type=request.content_type or ""
            )
        except InvalidEvent as problem:
            return error(400, str(problem))
        client = Client(
            ip=ip,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            header_country=trusted_country_header(request),
        )
        try:
            pageview = ingest_pageview(event=event, client=client, now=now)
        except UnknownSite:
            return error(404, UNKNOWN_SITE)
        except TooManyNewVisitors as refusal:
            return error(429, TOO_MANY_REQUESTS, headers={"Retry-After": str(refusal.wait)})
        except EventsUnavailable:
            return error(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        EVENTS.labels(outcome="accepted" if pageview else "dropped").inc()
        return HttpResponse(status=202, headers=NO_STORE)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return HttpResponse(status=204, headers={"Allow": "POST, OPTIONS"})

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = error(405, "Method not allowed")
        response["Allow"] = "POST, OPTIONS"
        return response


# Exempt as a whole rather than per call (`method_decorator` wraps `dispatch` again on every request).
event_api = csrf_exempt(EventApi.as_view())
