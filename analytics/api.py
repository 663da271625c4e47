"""`POST /api/event`: the endpoint the tracking script reports pageviews to.

Plain Django rather than DRF: it is the hottest path in the app and needs none of
DRF's negotiation. It sets no cookie and takes no CSRF token (the script runs on
other sites), and every error is JSON. It is open to the whole internet, so every request
counts against its client's rate limit, whatever it sends, and a client over it is told
429 rather than what else is wrong. An event to keep is counted against its limits by the
same round trip to Redis that queues it (`analytics.event_limits`); any other request is
counted on its own once it is known to end there. Reading and checking a body of at most
4 KB costs less than that round trip, so the limit loses nothing by coming after it.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from analytics.client_ip import client_ip, client_network
from analytics.event_limits import EventLimits, TooManyEvents
from analytics.events import MAX_BODY_BYTES, InvalidEvent, PageviewEvent, parse_event
from analytics.geo import trusted_country_header
from analytics.ingestion import Client, UnknownSite, count_event_rate, ingest_pageview
from analytics.monitoring import EVENTS
from analytics.new_visitors import TooManyNewVisitors
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
        limits = EventLimits(network=client_network(ip), now=now.timestamp())
        try:
            limits.refuse_if_known_over_rate()
            try:
                event = read_event(request)
                client = Client(
                    ip=ip,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    header_country=trusted_country_header(request),
                )
                pageview = ingest_pageview(event=event, client=client, now=now, limits=limits)
            except InvalidEvent as problem:
                count_event_rate(limits)
                return error(400, str(problem))
            except UnknownSite:
                count_event_rate(limits)
                return error(404, UNKNOWN_SITE)
            except EventsUnavailable:
                count_event_rate(limits)
                return error(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            if pageview is None:
                count_event_rate(limits)
        except (TooManyEvents, TooManyNewVisitors) as refusal:
            return error(429, TOO_MANY_REQUESTS, headers={"Retry-After": str(refusal.wait)})
        EVENTS.labels(outcome="accepted" if pageview else "dropped").inc()
        return HttpResponse(status=202, headers=NO_STORE)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return HttpResponse(status=204, headers={"Allow": "POST, OPTIONS"})

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = error(405, "Method not allowed")
        response["Allow"] = "POST, OPTIONS"
        return response


def read_event(request: HttpRequest) -> PageviewEvent:
    """The request's event, read one byte past the limit and never the whole stream, whatever the client claims."""
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidEvent("Content-Length is not a number") from None
    if declared_length > MAX_BODY_BYTES:
        raise InvalidEvent(f"Body too large: at most {MAX_BODY_BYTES} bytes")
    return parse_event(body=read_capped_body(request, limit=MAX_BODY_BYTES), content_type=request.content_type or "")


# Exempt as a whole rather than per call (`method_decorator` wraps `dispatch` again on every request).
event_api = csrf_exempt(EventApi.as_view())
