"""Two-factor sign-in for the admin: a TOTP authenticator app, with single-use recovery codes.

Built on django-otp: a confirmed `TOTPDevice` is the authenticator, a `StaticDevice` named
"Recovery codes" holds ten codes that each work once. The login form asks for a code after the
password whenever the account has a confirmed authenticator, and a wrong or missing code is
reported to django-axes as a failed login, so guessing codes locks the account out exactly
like guessing passwords. With `REQUIRE_2FA` on, everyone who can create share links (and every
superuser) is sent to the setup page until they have set it up.
"""

import secrets
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import user_logged_in
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from analytics.models import Site, SitePermission

RECOVERY_CODES = 10
RECOVERY_DEVICE = "Recovery codes"
AUTHENTICATOR_DEVICE = "Authenticator app"
CODE_MAX_LENGTH = 16


def has_two_factor(user: AbstractBaseUser) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def must_use_two_factor(user: AbstractBaseUser) -> bool:
    """With REQUIRE_2FA, whoever can hand out links: publishing a site's traffic takes more than a password."""
    if not settings.REQUIRE_2FA or not user.is_authenticated:
        return False
    return user.is_superuser or Site.objects.visible_to(user, SitePermission.MANAGE_LINKS).exists()


class TwoFactorLoginForm(AdminAuthenticationForm):
    """The admin login: username and password, then the code for accounts that have two-factor sign-in."""

    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app (or a recovery code)"),
        required=False,
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not has_two_factor(user):
            return cleaned
        device = match_token(user, (cleaned.get("otp_token") or "").replace(" ", ""))
        if device is None:
            # Counted by django-axes like a wrong password, for this username from this address.
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=self.request)
            raise forms.ValidationError(
                _("Enter the 6-digit code from your authenticator app, or one of your recovery codes."),
                code="invalid_otp",
            )
        # django-otp marks the session as verified with this device when the login completes.
        user.otp_device = device
        return cleaned


def recovery_codes_for(user: AbstractBaseUser) -> list[str]:
    """Ten new codes, replacing any earlier ones; shown once, stored as django-otp stores them."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


class ConfirmForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code shown by the app"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator being set up, kept across reloads so the QR code does not change."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_DEVICE, confirmed=False)


@never_cache
@sensitive_post_parameters("code")
@login_required(login_url="admin:login")
def setup_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if has_two_factor(user) and request.method != "POST":
        return render(request, "teams/two_factor_done.html", {"already": True, **page_context(request)})
    device = pending_authenticator(user)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = recovery_codes_for(user)
            otp_login(request, device)
            return render(request, "teams/two_factor_done.html", {"codes": codes, **page_context(request)})
        form.add_error("code", _("That code is not right: check the time on your phone and enter the newest code."))
    uri = device.config_url
    context = {
        "form": form,
        "secret": device_secret(device),
        "otpauth_uri": uri,
        "qr_svg": mark_safe(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")),
        "required": must_use_two_factor(user),
        **page_context(request),
    }
    return render(request, "teams/two_factor_setup.html", context, status=400 if form.errors else 200)


def device_secret(device: TOTPDevice) -> str:
    """The key in the base32 an app accepts when typed, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def page_context(request: HttpRequest) -> dict:
    return {**admin.site.each_context(request), "title": _("Two-factor sign-in")}


class TwoFactorRequired:
    """Keeps admin pages from anyone whose account needs a second factor it has not given.

    An account with an authenticator whose session was not verified by a code (a session that
    began before it was set up) signs in again; with REQUIRE_2FA, an account that must have one
    and has none is sent to the setup page. The login, logout and setup pages stay open.
    """

    OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/account/two-factor/", "/admin/jsi18n/")

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: looking at the user reads the session, which adds `Vary: Cookie` to any answer.
        if not request.path.startswith("/admin/") or request.path.startswith(self.OPEN_PATHS):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            if has_two_factor(user):
                login_url = reverse("admin:login")
                return HttpResponseRedirect(f"{login_url}?next={request.path}")
            if must_use_two_factor(user):
                return HttpResponseRedirect(reverse("teams:two-factor"))
        return self.get_response(request)


def forget_device_on_login(sender, request: HttpRequest, user: AbstractBaseUser, **kwargs) -> None:
    """A login without a code (a new account accepting an invitation) is never a verified one."""
    if not hasattr(user, "otp_device") and request is not None and hasattr(request, "session"):
        request.session.pop(DEVICE_ID_SESSION_KEY, None)


user_logged_in.connect(forget_device_on_login, dispatch_uid="teams.two_factor.forget_device_on_login")
