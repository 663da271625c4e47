"""Admin forms for share links: periods and sections as checkboxes, expiry typed in the site's own time zone,
an optional password (never shown again) and the origins allowed to embed the link."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.admin import widgets
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from analytics.models import Site
from analytics.periods import Period
from sharing.admin_display import periods_text, site_time
from sharing.embedding import checked_origins, origins_text
from sharing.link_passwords import MAX_LENGTH, MIN_LENGTH
from sharing.models import ShareToken
from sharing.sections import SECTIONS, sections_text

PERIOD_CHOICES = [(period.value, format_lazy("{} ({})", period.label, period.value)) for period in Period]
MAX_ZONES_LISTED = 5
GRACE_CHOICES = [
    ("0", gettext_lazy("No grace period: the old link stops working now")),
    ("3600", gettext_lazy("1 hour: the old link keeps working for one more hour")),
    ("86400", gettext_lazy("24 hours: the old link keeps working for one more day")),
]


class SiteLocalDateTimeField(forms.SplitDateTimeField):
    """A date and time as typed, without a time zone: the form decides whose wall clock it is."""

    def compress(self, data_list: list) -> dt.datetime | None:
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise forms.ValidationError(gettext("Enter a date."), code="invalid_date")
        if time in self.empty_values:
            raise forms.ValidationError(gettext("Enter a time too, e.g. 12:00."), code="invalid_time")
        return dt.datetime.combine(day, time)


class ShareTokenForm(forms.ModelForm):
    allowed_periods = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed periods"),
        choices=PERIOD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Which time ranges the link may show. Tick none to allow every period."),
    )
    expires_at = SiteLocalDateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text=gettext_lazy(
            "Optional. Date and time in the site's time zone; leave empty for a link that never expires."
        ),
    )

    password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=format_lazy(
            gettext_lazy(
                "Optional, {min_length} characters or more. Readers type it once per browser session; "
                "API clients send it in the X-Share-Password header. Only a hash is stored: it cannot be shown again."
            ),
            min_length=MIN_LENGTH,
        ),
    )
    remove_password = forms.BooleanField(
        label=gettext_lazy("Remove the password"),
        required=False,
        help_text=gettext_lazy("The link then opens without a password."),
    )
    hidden_sections = forms.MultipleChoiceField(
        label=gettext_lazy("Hidden sections"),
        choices=list(SECTIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Tick a section to leave it out of the page and its downloads; the API returns it as an "
            "empty list. Tick none to show everything. The headline numbers are always shown."
        ),
    )
    frame_origins = forms.CharField(
        label=gettext_lazy("Embedding origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://intranet.example.com"}),
        help_text=gettext_lazy(
            "Sites allowed to show this link in an iframe, one origin per line (https://example.com). "
            "Leave empty to allow any site."
        ),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("Each reader's browser language")), *settings.LANGUAGES],
        help_text=gettext_lazy(
            "The language of the page, its password prompt and its downloads for every reader. "
            "A ?lang= added to the link still wins."
        ),
    )

    class Meta:
        model = ShareToken
        fields = ["site", "label", "allowed_periods", "expires_at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = timezone.now()
        self.before = {
            "label": self.instance.label,
            "periods": periods_text(self.instance),
            "expires_at": self.instance.expires_at,
            "password_hash": self.instance.password_hash,
            "hidden_sections": list(self.instance.hidden_sections),
            "frame_origins": list(self.instance.frame_origins),
            "language": self.instance.language,
        }
        self.initial.setdefault("hidden_sections", list(self.instance.hidden_sections))
        self.initial.setdefault("frame_origins", "\n".join(self.instance.frame_origins))
        self.initial.setdefault("language", self.instance.language)
        if self.instance.pk and self.instance.expires_at:
            local = timezone.localtime(self.instance.expires_at, self.instance.site.tzinfo)
            self.initial["expires_at"] = local.replace(tzinfo=None)
        if "expires_at" in self.fields:
            date_input, time_input = self.fields["expires_at"].widget.widgets
            date_input.attrs["aria-label"] = gettext("Expiry date")
            time_input.attrs["aria-label"] = gettext("Expiry time")
            self.fields["expires_at"].help_text = gettext(
                "Optional. Date and time in %(zone)s; leave empty for a link that never expires."
            ) % {"zone": self.timezone_hint()}

    def timezone_hint(self) -> str:
        if self.instance.pk:
            return gettext("%(zone)s (the site's time zone)") % {"zone": self.instance.site.timezone}
        sites = (
            list(self.fields["site"].queryset.order_by("domain")[: MAX_ZONES_LISTED + 1])
            if "site" in self.fields
            else []
        )
        zones = {site.timezone for site in sites}
        if len(zones) == 1 and len(sites) <= MAX_ZONES_LISTED:
            return gettext("%(zone)s (the site's time zone)") % {"zone": zones.pop()}
        listed = ", ".join(f"{site.domain}: {site.timezone}" for site in sites[:MAX_ZONES_LISTED])
        listed += ", …" if len(sites) > MAX_ZONES_LISTED else ""
        return gettext("the chosen site's time zone (%(zones)s)") % {"zones": listed}

    def clean_frame_origins(self) -> list[str]:
        return checked_origins(self.cleaned_data["frame_origins"].splitlines())

    def clean_allowed_periods(self) -> list[str]:
        return [period.value for period in Period.in_order(self.cleaned_data["allowed_periods"])]

    def clean(self) -> dict:
        cleaned = super().clean()
        if "expires_at" not in self.fields:
            return cleaned
        site: Site | None = cleaned.get("site") or (self.instance.site if self.instance.site_id else None)
        local = cleaned.get("expires_at")
        if site is None or local is None:
            return cleaned
        expires_at = timezone.make_aware(local, site.tzinfo)
        if expires_at <= self.now and expires_at != self.instance.expires_at:
            self.add_error("expires_at", gettext("Choose a moment in the future. To stop a link now, revoke it."))
        cleaned["expires_at"] = expires_at
        return cleaned

    def describe_changes(self) -> str:
        """What changed, with old and new values, for the admin history. Never contains the token."""
        token, before, changes = self.instance, self.before, []
        if token.label != before["label"]:
            changes.append(f"Label changed from {before['label'] or '(none)'!r} to {token.label or '(none)'!r}.")
        if periods_text(token) != before["periods"]:
            changes.append(f"Periods changed from {before['periods']} to {periods_text(token)}.")
        if token.expires_at != before["expires_at"]:
            changes.append(
                f"Expiry changed from {site_time(before['expires_at'], token.site)} "
                f"to {site_time(token.expires_at, token.site)}."
            )
        if token.password_hash != before["password_hash"]:
            changes.append(
                "Password set."
                if not before["password_hash"]
                else "Password removed."
                if not token.password_hash
                else "Password changed."
            )
        if token.hidden_sections != before["hidden_sections"]:
            changes.append(
                f"Sections changed from {sections_text(before['hidden_sections'])} "
                f"to {sections_text(token.hidden_sections)}."
            )
        if token.frame_origins != before["frame_origins"]:
            changes.append(
                f"Embedding origins changed from {origins_text(before['frame_origins'])} "
                f"to {origins_text(token.frame_origins)}."
            )
        if token.language != before["language"]:
            changes.append(
                f"Language changed from {before['language'] or '(each reader)'} to {token.language or '(each reader)'}."
            )
        return " ".join(changes) or "No changes."


class RotateForm(forms.Form):
    grace = forms.TypedChoiceField(
        label=gettext_lazy("What happens to the old link"),
        choices=GRACE_CHOICES,
        coerce=int,
        initial="0",
        widget=forms.RadioSelect,
        help_text=gettext_lazy("A grace period gives you time to update dashboards that embed the old link."),
    )

    def grace_period(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.cleaned_data["grace"])
