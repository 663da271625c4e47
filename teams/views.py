"""The page an invitation link opens: accept as the signed-in account, sign in first, or make the account.

Public (the invitee may have no account yet), so it is rate-limited per client, and every link
that no longer works, whatever the reason, answers the same 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from analytics.client_ip import client_ip, client_network
from analytics.rate_limit import parse_rate, seconds_to_wait
from teams.forms import NewAccountForm
from teams.invitations import accept_invitation, accept_with_new_account, account_for, find_pending_invitation


def too_many(request: HttpRequest, scope: str, rate_text: str, *, key: str = "") -> HttpResponse | None:
    """A 429 page once the client (or `key`, when given) is past `rate_text` in the current window, else None."""
    rate = parse_rate(rate_text)
    if rate is None:
        return None
    client = key or client_network(client_ip(request))
    wait = seconds_to_wait(scope=scope, client=client, rate=rate, now=timezone.now().timestamp())
    if wait is None:
        return None
    response = render(request, "teams/too_many.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    limited = too_many(request, "invitation", settings.INVITATION_RATE)
    if limited:
        return limited
    now = timezone.now()
    invitation = find_pending_invitation(token, now=now)
    if invitation is None:
        return render(request, "teams/invitation_invalid.html", status=404)
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by.get_username() if invitation.invited_by else "",
    }
    response = accept_or_show(request, invitation=invitation, context=context, now=now)
    # The token is in this page's URL: no other site gets it as a Referer. (`no-referrer` would make the
    # browser send `Origin: null` with the form, which the CSRF check rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def accept_or_show(request: HttpRequest, *, invitation, context: dict, now) -> HttpResponse:
    welcome = reverse("admin:analytics_site_changelist")
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                accept_invitation(invitation, user=request.user, now=now)
            except ValidationError as refused:
                return render(request, "teams/invitation.html", {**context, "errors": refused.messages}, status=400)
            messages.success(request, _("You are now a member of %(site)s.") % {"site": invitation.site})
            return HttpResponseRedirect(welcome)
        mismatch = request.user.email.lower() != invitation.email.lower()
        return render(request, "teams/invitation.html", {**context, "accept": True, "mismatch": mismatch})
    if account_for(invitation.email) is not None:
        login_url = f"{reverse('admin:login')}?{urlencode({'next': request.path})}"
        return render(request, "teams/invitation.html", {**context, "login_url": login_url})
    form = NewAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = accept_with_new_account(
                invitation, username=form.cleaned_data["username"], password=form.cleaned_data["password1"], now=now
            )
        except ValidationError as refused:
            if hasattr(refused, "error_dict"):
                for field, errors in refused.error_dict.items():
                    form.add_error(field, errors)
            else:
                form.add_error("password1", refused)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! You are now a member of %(site)s.") % {"site": invitation.site})
            return HttpResponseRedirect(welcome)
    return render(request, "teams/invitation.html", {**context, "form": form}, status=400 if form.errors else 200)
