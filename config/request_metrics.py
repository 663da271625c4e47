"""Every answer counted and timed by URL pattern (`analytics.monitoring`), first in the middleware stack."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from analytics.monitoring import HTTP_REQUESTS, HTTP_SECONDS

UNMATCHED = "unmatched"
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestMetrics:
    """The label is the URL pattern (`share/<str:token>/`), never the path: a path can hold a token, and
    any client can invent paths, which would grow the metrics without bound. Methods are bounded alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else UNMATCHED
        method = request.method if request.method in KNOWN_METHODS else "other"
        HTTP_REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        HTTP_SECONDS.labels(route=route).observe(time.perf_counter() - started)
        return response
