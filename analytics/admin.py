from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy, ngettext

from analytics import blocklists
from analytics.admin_scoping import OwnerScopedAdmin
from analytics.hostnames import InvalidHostname, parse_allowed_hostnames, site_domain
from analytics.models import TIMEZONE_LOCKED, Site
from analytics.snippets import install_snippet_html
from analytics.spam_removal import remove_blocked_traffic
from analytics.text import is_storable
from analytics.timezones import site_timezone_names

TIMEZONE_CHOICES = [
    ("", gettext_lazy("Choose the site's time zone")),
    *((name, name) for name in site_timezone_names()),
]


class SiteForm(forms.ModelForm):
    # Required, with no server-side default: the add page preselects the owner's browser zone
    # (static/glimpse/admin-site.js), and a silent UTC would shift every day of a site elsewhere.
    timezone = forms.ChoiceField(
        choices=TIMEZONE_CHOICES, help_text=gettext_lazy("The site's days, charts and share-link expiry follow it.")
    )

    class Meta:
        model = Site
        fields = ["domain", "nickname", "timezone", "allowed_hostnames", "blocked_sources", "blocked_paths", "owner"]
        widgets = {
            "allowed_hostnames": forms.Textarea(attrs={"rows": 3}),
            "blocked_sources": forms.Textarea(attrs={"rows": 3}),
            "blocked_paths": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk and "timezone" not in (kwargs.get("initial") or {}):
            self.initial["timezone"] = ""
        current = self.instance.timezone if self.instance.pk else None
        if current and (current, current) not in TIMEZONE_CHOICES:
            self.fields["timezone"].choices = [*TIMEZONE_CHOICES, (current, current)]

    def clean_domain(self) -> str:
        """Normalised before the uniqueness check, so `WWW.Example.com` collides with `example.com` politely."""
        try:
            return site_domain(self.cleaned_data["domain"])
        except InvalidHostname:
            raise forms.ValidationError(
                gettext("Enter a domain such as example.com (international names such as bücher.example work too).")
            ) from None

    def clean_allowed_hostnames(self) -> str:
        """Stored normalised, one per line, so the list reads the way events are matched against it."""
        try:
            entries = parse_allowed_hostnames(self.cleaned_data["allowed_hostnames"])
        except InvalidHostname as problem:
            raise forms.ValidationError(
                gettext(
                    "%(entry)s is not a host name: write example.com, *.example.com or xn--… for international names."
                )
                % {"entry": problem}
            ) from None
        return "\n".join(entries)

    def clean_blocked_sources(self) -> str:
        listed = blocklists.entries(self.cleaned_data["blocked_sources"])
        for entry in listed:
            if not is_storable(entry):
                raise forms.ValidationError(
                    gettext("%(entry)s is not a source: one host or utm_source value a line.") % {"entry": entry}
                )
        return "\n".join(listed)

    def clean_blocked_paths(self) -> str:
        listed = blocklists.entries(self.cleaned_data["blocked_paths"])
        for entry in listed:
            if not entry.startswith("/") or not is_storable(entry) or any(character.isspace() for character in entry):
                raise forms.ValidationError(
                    gettext("%(entry)s is not a path: write /path, or /prefix* for every path it starts.")
                    % {"entry": entry}
                )
        return "\n".join(listed)


def timezone_locked(site: Site | None) -> bool:
    """Asked for the fields and again for the read-only ones: one query per page, kept on the site object."""
    if site is None:
        return False
    if not hasattr(site, "_timezone_locked"):
        site._timezone_locked = site.has_pageviews()
    return site._timezone_locked


@admin.register(Site)
class SiteAdmin(OwnerScopedAdmin):
    """Sites, scoped to their owner. Other apps extend it (sharing adds its share-link columns)."""

    form = SiteForm
    list_display = ["domain", "nickname", "timezone"]
    detail_fields = ["dropped_events", "last_dropped_at", "install_snippet", "created_at"]
    search_fields = ["domain", "nickname"]
    readonly_fields = ["locked_timezone", "install_snippet", "dropped_events", "last_dropped_at", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("owner")

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return [*self.list_display, "owner"] if request.user.is_superuser else self.list_display

    def get_list_filter(self, request: HttpRequest) -> list[str]:
        return ["owner"] if request.user.is_superuser else []

    def get_readonly_fields(self, request: HttpRequest, obj: Site | None = None) -> list[str]:
        """The time zone field leaves the form once data exists; `locked_timezone` shows it with the reason."""
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "timezone"] if timezone_locked(obj) else readonly

    def get_fields(self, request: HttpRequest, obj: Site | None = None) -> list[str]:
        fields = [
            "domain",
            "nickname",
            "locked_timezone" if timezone_locked(obj) else "timezone",
            "allowed_hostnames",
            "blocked_sources",
            "blocked_paths",
        ]
        if request.user.is_superuser:
            fields.append("owner")
        return fields if obj is None else [*fields, *self.detail_fields]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Site, form: SiteForm, change: bool) -> None:
        """A change to the blocklists also takes the traffic they now match out of the site's numbers."""
        if not request.user.is_superuser:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        if change and {"blocked_sources", "blocked_paths"} & set(form.changed_data):
            removed = remove_blocked_traffic(site=obj, now=timezone.now())
            if removed.sessions:
                message = ngettext(
                    "Removed %(sessions)d blocked visit (%(pageviews)d pageviews) from the numbers.",
                    "Removed %(sessions)d blocked visits (%(pageviews)d pageviews) from the numbers.",
                    removed.sessions,
                ) % {"sessions": removed.sessions, "pageviews": removed.pageviews}
                self.message_user(request, message, messages.SUCCESS)

    @admin.display(description=gettext_lazy("Timezone"))
    def locked_timezone(self, obj: Site) -> SafeString:
        return format_html('{}<div class="help">{}</div>', obj.timezone, TIMEZONE_LOCKED)

    @admin.display(description=gettext_lazy("Install snippet"))
    def install_snippet(self, obj: Site) -> SafeString:
        """The exact tag to paste into every page of the site; it starts collecting at once."""
        return install_snippet_html(obj)
