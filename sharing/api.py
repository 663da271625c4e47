"""The public, read-only statistics API: GET /api/public/stats?token=…&period=…"""

from django.db import DatabaseError
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing.link_passwords import PASSWORD_HEADER, TooManyPasswordGuesses, api_password_check
from sharing.openapi import public_stats_schema
from sharing.payloads import public_stats_body
from sharing.share_requests import PasswordRequired, ShareRequestError, resolve_share_request
from sharing.stats_cache import cached_previous_stats
from sharing.throttling import PublicStatsThrottle

SUCCESS_CACHE_CONTROL = "public, max-age=300"
SERVICE_UNAVAILABLE = "Service unavailable, try again shortly"
RETRY_AFTER_SECONDS = 10
WRONG_PASSWORD = "Wrong password for this share"
COMPARE_PREVIOUS = "previous"


class PublicApiView(APIView):
    """A public JSON endpoint: errors are `{"error": …}` and are never cached."""

    def finalize_response(self, request: Request, response: HttpResponse, *args, **kwargs) -> HttpResponse:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response["Cache-Control"] = "no-store"
        return response


class PublicStatsApi(PublicApiView):
    throttle_classes = [PublicStatsThrottle]

    @public_stats_schema
    def get(self, request: Request) -> HttpResponse:
        """Without `compare=previous` the body is exactly the documented one; any other `compare` is ignored,
        as any unknown parameter is."""
        try:
            resolved = resolve_share_request(
                raw_token=request.query_params.get("token", ""),
                period=request.query_params.get("period"),
                now=timezone.now(),
                unlocked=api_password_check(request),
            )
        except TooManyPasswordGuesses as refused:
            return Response(
                {"error": "Too many requests"}, status=429, headers={"Retry-After": str(refused.retry_after)}
            )
        except PasswordRequired as refused:
            message = WRONG_PASSWORD if request.headers.get(PASSWORD_HEADER) else refused.message
            return Response({"error": message}, status=refused.status, headers={"Cache-Control": "no-store"})
        except ShareRequestError as refused:
            return Response({"error": refused.message}, status=refused.status)
        except DatabaseError:
            return unavailable()
        site, cached = resolved.share_token.site, resolved.stats
        try:
            previous = (
                cached_previous_stats(site=site, period=resolved.period, of=cached)
                if request.query_params.get("compare") == COMPARE_PREVIOUS
                else None
            )
        except DatabaseError:
            return unavailable()
        return HttpResponse(
            public_stats_body(
                share_token=resolved.share_token,
                period=resolved.period,
                stats=cached.stats,
                rendered_stats=cached.body,
                previous=previous,
            ),
            content_type="application/json",
            headers={"Cache-Control": private_if_password(resolved.share_token.has_password)},
        )


def unavailable() -> Response:
    """The database is away and nothing cached can answer: say so, as the shipped nginx does for a dead node.
    Django logs the 503 (one line, collapsed while the outage lasts)."""
    return Response({"error": SERVICE_UNAVAILABLE}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def private_if_password(has_password: bool) -> str:
    """A shared cache must not hand a password-protected answer to someone who never sent the password."""
    return "private, no-store" if has_password else SUCCESS_CACHE_CONTROL
