"""`POST /api/event`: the endpoint the tracking script reports pageviews to.

Plain Django rather than DRF: it is the hottest path in the app and needs none of
DRF's negotiation. It sets no cookie and takes no CSRF token (the script runs on
other sites), and every error is JSON.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from analytics.client_ip import client_ip
from analytics.events import MAX_BODY_BYTES, InvalidEvent, parse_event
from analytics.geo import trusted_country_header
from analytics.ingestion import Client, UnknownSite, ingest_pageview

UNKNOWN_SITE = "Unknown site: register this domain in Glimpse first"
NO_STORE = {"Cache-Control": "no-store"}


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=NO_STORE)


@method_decorator(csrf_exempt, name="dispatch")
class EventApi(View):
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error(400, "Content-Length is not a number")
        if declared_length > MAX_BODY_BYTES:
            return error(400, f"Body too large: at most {MAX_BODY_BYTES} bytes")
        try:
            # Read one byte past the limit, never the whole stream, whatever the client claims.
            event = parse_event(body=request.read(MAX_BODY_BYTES + 1), content_type=request.content_type or "")
        except InvalidEvent as problem:
            return error(400, str(problem))
        client = Client(
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            header_country=trusted_country_header(request),
        )
        try:
            ingest_pageview(event=event, client=client, now=timezone.now())
        except UnknownSite:
            return error(404, UNKNOWN_SITE)
        return HttpResponse(status=202, headers=NO_STORE)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return HttpResponse(status=204, headers={"Allow": "POST, OPTIONS"})

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = error(405, "Method not allowed")
        response["Allow"] = "POST, OPTIONS"
        return response
