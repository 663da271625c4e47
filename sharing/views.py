"""The share page: /share/<token>/?period=… — the public API's numbers, as HTML for people — and its CSV exports."""

import functools
import json
import math
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from analytics.periods import Period
from config.reader_language import use_link_language
from sharing.dashboard import Dashboard, build_dashboard, period_links
from sharing.embedding import content_security_policy
from sharing.exports import attachment_header, export_filename, export_rows, render_csv, section_of
from sharing.link_passwords import Attempt, is_unlocked, remember_unlock, try_password
from sharing.models import ShareToken
from sharing.page_options import PageOptions
from sharing.selectors import find_active_token
from sharing.share_requests import (
    PasswordRequired,
    PeriodNotAllowed,
    ResolvedShare,
    ShareRequestError,
    resolve_share_request,
)
from sharing.stats_cache import cached_hourly, cached_previous_stats
from sharing.throttling import PublicStatsThrottle

SUCCESS_CACHE_CONTROL = "private, no-cache"
UNAVAILABLE_RETRY_AFTER_SECONDS = 10
WRONG_PASSWORD = gettext_lazy("That password is not right. Please try again.")


def share_page_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers every share-page response carries, errors and CSV files included.

    The token sits in the URL, so it must not leak through a Referer header, a search
    index or a shared cache; a successful page is revalidated on every visit so that
    revocation takes effect on the reader's next load. Framing follows the link's own
    embedding origins where the view knows the link (`frame_origins` on the response), and
    is open otherwise. Nothing changes state except a password typed into the form, which
    a forged cross-site post could at worst unlock in the attacker's own interest, so no
    CSRF check (and no CSRF cookie, which a frame on another site would not get anyway).
    """

    @csrf_exempt
    @xframe_options_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(getattr(response, "frame_origins", []))
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = SUCCESS_CACHE_CONTROL if response.status_code == 200 else "no-store"
        return response

    return wrapped


def for_link(response: HttpResponse, share_token: ShareToken) -> HttpResponse:
    response.frame_origins = share_token.frame_origins
    return response


def page_context(options: PageOptions, share_token: ShareToken | None = None) -> dict:
    """What base.html needs: the presentation, and in embed mode where the page may post its height."""
    parents = "*"
    if share_token is not None and share_token.frame_origins:
        parents = json.dumps(share_token.frame_origins)
    return {"embed": options.embed, "options": options, "embed_parents": parents}


def too_many_requests(request: HttpRequest, options: PageOptions, retry_after: int) -> HttpResponse:
    context = {**page_context(options), "retry_after": retry_after}
    response = render(request, "sharing/too_many_requests.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def answers_outages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page the database cannot serve right now (it is away and nothing cached answers) is a 503 saying so, with
    `Retry-After`, not a server error; a link read shortly before keeps being served (`sharing.token_copies`)."""

    @functools.wraps(view)
    def answered(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DatabaseError:  # Django logs the 503: one line, collapsed while the outage lasts
            options = PageOptions.from_query(request.GET)
            response = render(request, "sharing/unavailable.html", page_context(options), status=503)
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
            return response

    return answered


def rate_limited(request: HttpRequest, options: PageOptions) -> HttpResponse | None:
    """Counted against the same per-client limit as the public API, so neither door guesses tokens faster."""
    throttle = PublicStatsThrottle()
    if throttle.allow_request(request, None):
        return None
    return too_many_requests(request, options, math.ceil(throttle.wait()))


def refused_page(request: HttpRequest, refused: ShareRequestError, options: PageOptions) -> HttpResponse:
    if isinstance(refused, PasswordRequired):
        return password_page(request, refused.share_token, options)
    if isinstance(refused, PeriodNotAllowed):
        use_link_language(request, refused.share_token.language)
        context = {
            **page_context(options, refused.share_token),
            "site_name": refused.share_token.site.display_name,
            "requested_label": period.label if (period := Period.parse(refused.requested)) else None,
            "period_links": period_links(
                periods=refused.share_token.periods, current=None, period_url=options.period_url
            ),
        }
        response = render(request, "sharing/period_not_allowed.html", context, status=refused.status)
        return for_link(response, refused.share_token)
    return render(request, "sharing/link_not_found.html", page_context(options), status=refused.status)


def password_page(
    request: HttpRequest, share_token: ShareToken, options: PageOptions, *, error: str = ""
) -> HttpResponse:
    """The form asking for a link's password: 401, and nothing of the link but its site's name (and language)."""
    use_link_language(request, share_token.language)
    context = {**page_context(options, share_token), "site_name": share_token.site.display_name, "error": error}
    return for_link(render(request, "sharing/password_required.html", context, status=401), share_token)


def resolve_for_reader(request: HttpRequest, token: str, *, period: str | None) -> ResolvedShare:
    return resolve_share_request(
        raw_token=token,
        period=period,
        now=timezone.now(),
        default_period=None,
        unlocked=lambda share_token: is_unlocked(request, share_token),
    )


def export_url(token: str, options: PageOptions, period: Period) -> Callable[[str], str]:
    """A CSV link keeps the period and the language (its headers are translated), not the page's look."""
    base = reverse("share-export", args=[token, "EXPORT"])
    query = PageOptions(language=options.language).query(period=period.value)
    return lambda export: base.replace("EXPORT", export) + query


def share_dashboard(resolved: ResolvedShare, *, token: str, options: PageOptions) -> Dashboard:
    """The page compares with the previous period always, and shows 24 hours hour by hour."""
    share_token, cached, period = resolved.share_token, resolved.stats, resolved.period
    site = share_token.site
    per_hour = period.days is None
    return build_dashboard(
        site=site,
        periods=share_token.periods,
        period=period,
        stats=cached.stats,
        computed_at=cached.computed_at,
        period_url=options.period_url,
        previous=cached_previous_stats(site=site, period=period, of=cached),
        hourly=cached_hourly(site=site, of=cached) if per_hour else None,
        previous_hourly=cached_hourly(site=site, of=cached, previous=True) if per_hour else None,
        hidden_sections=share_token.hidden_sections,
        csv_url=export_url(token, options, period),
    )


@share_page_headers
@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
@answers_outages
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    options = PageOptions.from_query(request.GET)
    if (limited := rate_limited(request, options)) is not None:
        return limited
    if request.method == "POST":
        return unlock(request, token, options)
    try:
        resolved = resolve_for_reader(request, token, period=request.GET.get("period"))
    except ShareRequestError as refused:
        return refused_page(request, refused, options)
    use_link_language(request, resolved.share_token.language)
    context = {
        **page_context(options, resolved.share_token),
        "dashboard": share_dashboard(resolved, token=token, options=options),
    }
    return for_link(render(request, "sharing/share_page.html", context), resolved.share_token)


def unlock(request: HttpRequest, token: str, options: PageOptions) -> HttpResponse:
    """The password form's POST. Only a working, password-protected link takes one: any other POST is the
    405 it always was, so a POST tells nobody more about a token than a GET does.

    A right password redirects (303) to the same URL, now unlocked for this browser session; a
    wrong one shows the form again. Every guess counts against the password limit first.
    """
    share_token = find_active_token(token, now=timezone.now())
    if share_token is None or not share_token.has_password:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    outcome, retry_after = try_password(request, share_token, request.POST.get("password", ""))
    if outcome is Attempt.TOO_MANY:
        return for_link(too_many_requests(request, options, retry_after), share_token)
    if outcome is Attempt.WRONG:
        return password_page(request, share_token, options, error=WRONG_PASSWORD)
    response = HttpResponseRedirect(request.get_full_path(), status=303)
    remember_unlock(request, response, share_token)
    return for_link(response, share_token)


@share_page_headers
@require_safe
@answers_outages
def share_export(request: HttpRequest, token: str, export: str) -> HttpResponse:
    """One table or series of the page as CSV, under the page's rules: the same limit, token, password and
    period checks, and nothing of a section the link hides (404, as for an unknown export)."""
    options = PageOptions.from_query(request.GET)
    if (limited := rate_limited(request, options)) is not None:
        return limited
    try:
        resolved = resolve_for_reader(request, token, period=request.GET.get("period"))
    except ShareRequestError as refused:
        return refused_page(request, refused, options)
    share_token, cached, period = resolved.share_token, resolved.stats, resolved.period
    use_link_language(request, share_token.language)
    section = section_of(export)
    if section is None or not share_token.shows(section) or (export == "hourly" and period.days is not None):
        return for_link(render(request, "sharing/link_not_found.html", page_context(options), status=404), share_token)
    site = share_token.site
    hourly = cached_hourly(site=site, of=cached) if export == "hourly" else None
    header, rows = export_rows(export, stats=cached.stats, hourly=hourly)
    filename = export_filename(
        domain=site.domain,
        export=export,
        period=period.value,
        day=timezone.localtime(cached.computed_at, site.tzinfo).date(),
    )
    response = HttpResponse(
        render_csv(header, rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment_header(filename)},
    )
    return for_link(response, share_token)
