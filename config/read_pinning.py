"""An owner's statistics come from the primary for `REPLICA_PIN_SECONDS` after a change they made.

A read replica can be seconds behind; someone who just changed something in the admin should
not see the old numbers next to their own change. After an accepted POST (or any other unsafe
method) by a signed-in user, a cookie marks the following requests of that browser, and only
signed-in ones honour it: a stranger setting the cookie could only move their own reads to the
primary, and anonymous requests (share links, the public API) ignore it. As django-multidb-router's
pinning, with the lag-aware choice of `analytics.read_replicas` (that library has no such check).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from analytics.read_replicas import pinned_to_primary, replica_aliases

PIN_COOKIE = "glimpse_primary"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class PinReadsAfterWrites:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        signed_in = request.user.is_authenticated
        with pinned_to_primary(signed_in and PIN_COOKIE in request.COOKIES):
            response = self.get_response(request)
        if signed_in and request.method not in SAFE_METHODS and response.status_code < 400:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
