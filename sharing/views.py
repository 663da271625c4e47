"""The share page: /share/<token>/?period=… — the public API's numbers, as HTML for people."""

import functools
import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from analytics.periods import Period
from sharing.dashboard import PeriodUrl, build_dashboard, period_links
from sharing.share_requests import PeriodNotAllowed, ShareRequestError, resolve_share_request
from sharing.throttling import PublicStatsThrottle

# Everything comes from this origin; only framing is open, because embedding is what share pages are for.
CONTENT_SECURITY_POLICY = "; ".join(
    ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors *"]
)
SUCCESS_CACHE_CONTROL = "private, no-cache"


def share_page_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers every share-page response carries, errors included.

    The token sits in the URL, so it must not leak through a Referer header, a search
    index or a shared cache; a successful page is revalidated on every visit so that
    revocation takes effect on the reader's next load. The page changes nothing, so a
    POST needs no CSRF check: it gets the same headers and a plain 405.
    """

    @csrf_exempt
    @xframe_options_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = SUCCESS_CACHE_CONTROL if response.status_code == 200 else "no-store"
        return response

    return wrapped


def share_period_url(*, embed: bool) -> PeriodUrl:
    """Plain relative links (`?period=30d`) that keep embed mode."""
    suffix = "&embed=1" if embed else ""
    return lambda period: f"?period={period.value}{suffix}"


@share_page_headers
@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """Counted against the same per-client limit as the public API, so neither door guesses tokens faster."""
    embed = request.GET.get("embed") == "1"
    throttle = PublicStatsThrottle()
    if not throttle.allow_request(request, None):
        retry_after = math.ceil(throttle.wait())
        response = render(
            request, "sharing/too_many_requests.html", {"embed": embed, "retry_after": retry_after}, status=429
        )
        response["Retry-After"] = str(retry_after)
        return response
    try:
        resolved = resolve_share_request(
            raw_token=token, period=request.GET.get("period"), now=timezone.now(), default_period=None
        )
    except PeriodNotAllowed as refused:
        context = {
            "embed": embed,
            "site_name": refused.share_token.site.display_name,
            "requested_label": period.label if (period := Period.parse(refused.requested)) else None,
            "period_links": period_links(
                periods=refused.share_token.periods, current=None, period_url=share_period_url(embed=embed)
            ),
        }
        return render(request, "sharing/period_not_allowed.html", context, status=refused.status)
    except ShareRequestError as refused:
        return render(request, "sharing/link_not_found.html", {"embed": embed}, status=refused.status)
    dashboard = build_dashboard(
        site=resolved.share_token.site,
        periods=resolved.share_token.periods,
        period=resolved.period,
        stats=resolved.stats.stats,
        computed_at=resolved.stats.computed_at,
        period_url=share_period_url(embed=embed),
    )
    return render(request, "sharing/share_page.html", {"dashboard": dashboard, "embed": embed})
