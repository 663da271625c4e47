"""Headers every response of the public API carries: errors, 404s and preflights included.

The public API (`/api/public/…`, read by dashboards on other sites, and `/api/event`,
called by the tracking script on other sites) is open to every origin. The answer does
not depend on the caller's origin, so `Access-Control-Allow-Origin: *` goes on every
response, with or without an `Origin` header, and nothing varies on it. The stats URL
carries a share token, so, as on the share page, no response may pass it on in a
Referer or invite a search engine to keep it. Everything else (admin, share page) gets
no CORS header at all.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PUBLIC_API_PATH = re.compile(r"^/api/(public|event)(/|$)")
PREFLIGHT_MAX_AGE_SECONDS = 86_400
ALLOWED_HEADERS = "Content-Type"
PUBLIC_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    # The tracker reads it to know when to send a refused event again (analytics.unavailable).
    "Access-Control-Expose-Headers": "Retry-After",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def allowed_methods(path: str) -> str:
    return "POST, OPTIONS" if path.startswith("/api/event") else "GET, OPTIONS"


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


class PublicApiHeaders:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not PUBLIC_API_PATH.match(request.path_info):
            return self.get_response(request)
        if is_preflight(request):
            response = HttpResponse(status=200)
            response["Access-Control-Allow-Methods"] = allowed_methods(request.path_info)
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        else:
            response = self.get_response(request)
        for name, value in PUBLIC_HEADERS.items():
            response[name] = value
        return response
