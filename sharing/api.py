"""The public, read-only statistics API: GET /api/public/stats?token=…&period=…"""

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing.openapi import public_stats_schema
from sharing.payloads import public_stats_body
from sharing.share_requests import ShareRequestError, resolve_share_request
from sharing.throttling import PublicStatsThrottle

SUCCESS_CACHE_CONTROL = "public, max-age=300"


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
        try:
            resolved = resolve_share_request(
                raw_token=request.query_params.get("token", ""),
                period=request.query_params.get("period"),
                now=timezone.now(),
            )
        except ShareRequestError as refused:
            return Response({"error": refused.message}, status=refused.status)
        return HttpResponse(
            public_stats_body(
                share_token=resolved.share_token, period=resolved.period, rendered_stats=resolved.stats.body
            ),
            content_type="application/json",
            headers={"Cache-Control": SUCCESS_CACHE_CONTROL},
        )
