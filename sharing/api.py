"""The public, read-only statistics API: GET /api/public/stats?token=…&period=…"""

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.periods import DEFAULT_PERIOD
from sharing.payloads import site_fields
from sharing.selectors import find_active_token
from sharing.stats_cache import cached_stats, render_json
from sharing.throttling import PublicStatsThrottle
from sharing.usage import record_token_use

TOKEN_REQUIRED = "Share token required"
INVALID_TOKEN = "Invalid or expired share link"
PERIOD_NOT_ALLOWED = "Period not allowed for this share"
SUCCESS_CACHE_CONTROL = "public, max-age=300"


class PublicApiView(APIView):
    """A public JSON endpoint: errors are `{"error": …}` and are never cached."""

    def finalize_response(self, request: Request, response: HttpResponse, *args, **kwargs) -> HttpResponse:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response["Cache-Control"] = "no-store"
        return response


def error(status: int, message: str) -> Response:
    return Response({"error": message}, status=status)


class PublicStatsApi(PublicApiView):
    throttle_classes = [PublicStatsThrottle]

    def get(self, request: Request) -> HttpResponse:
        now = timezone.now()
        raw_token = request.query_params.get("token", "")
        if not raw_token:
            return error(400, TOKEN_REQUIRED)
        share_token = find_active_token(raw_token, now=now)
        if share_token is None:
            return error(404, INVALID_TOKEN)
        period = request.query_params.get("period") or DEFAULT_PERIOD
        if not share_token.allows(period):
            return error(403, PERIOD_NOT_ALLOWED)
        record_token_use(share_token, now=now)

        stats = cached_stats(site=share_token.site, period=period, now=now)
        head = render_json(
            {"site": site_fields(share_token.site), "period": period, "allowedPeriods": share_token.periods}
        )
        return HttpResponse(
            head[:-1] + b"," + stats.body[1:],
            content_type="application/json",
            headers={"Cache-Control": SUCCESS_CACHE_CONTROL},
        )
