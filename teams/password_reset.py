"""Password reset by email for admin accounts: Django's views, with the email going through the outbox.

Django's `PasswordResetForm` sends at once, which would hold the request on a slow mail server
and lose the email on a failed send; here it is queued (`teams.outbox`). Requests are limited per
client (an IPv6 /64 as one) and per address, so the form can neither be used to flood someone's
inbox nor to probe many addresses fast. The answer is the same whether the address has an
account or not (Django's behaviour), and only active staff accounts with a usable password get an
email.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters

from teams.outbox import queue_email
from teams.views import too_many


class OutboxPasswordResetForm(PasswordResetForm):
    def get_users(self, email: str):
        return (user for user in super().get_users(email) if user.is_staff)

    def save(self, **kwargs) -> None:
        """The link is built on GLIMPSE_BASE_URL, never on the request's Host header (which a client chooses)."""
        kwargs["domain_override"] = settings.GLIMPSE_BASE_URL.split("://", 1)[-1]
        kwargs["use_https"] = settings.GLIMPSE_BASE_URL.startswith("https://")
        super().save(**kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        queue_email(to=to_email, subject=subject, body=body, now=timezone.now())


def address_key(request: HttpRequest) -> str:
    """The address asked about, hashed: the rate-limit key must not put an email address in the cache."""
    email = request.POST.get("email", "")[:254].strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    email_template_name = "teams/password_reset_email.txt"
    subject_template_name = "teams/password_reset_subject.txt"
    extra_email_context = {"site_name": "Glimpse"}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        limited = too_many(request, "password-reset", settings.PASSWORD_RESET_RATE) or too_many(
            request, "password-reset-address", settings.PASSWORD_RESET_RATE, key=address_key(request)
        )
        return limited or super().post(request, *args, **kwargs)


password_reset = RateLimitedPasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = sensitive_post_parameters("new_password1", "new_password2")(
    auth_views.PasswordResetConfirmView.as_view()
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
