import zoneinfo

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from analytics.domains import normalize_domain
from analytics.hostnames import InvalidHostname, parse_allowed_hostnames
from analytics.models import Site
from analytics.snippets import install_snippet_html
from sharing.admin_scoping import OwnerScopedAdmin
from sharing.models import ShareToken

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SiteForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=TIMEZONE_CHOICES, initial="UTC", help_text="The site's days, charts and share-link expiry follow it."
    )

    class Meta:
        model = Site
        fields = ["domain", "nickname", "timezone", "allowed_hostnames", "owner"]
        widgets = {"allowed_hostnames": forms.Textarea(attrs={"rows": 3})}

    def clean_domain(self) -> str:
        """Normalised before the uniqueness check, so `WWW.Example.com` collides with `example.com` politely."""
        domain = normalize_domain(self.cleaned_data["domain"])
        if not domain:
            raise forms.ValidationError("Enter a domain such as example.com.")
        return domain

    def clean_allowed_hostnames(self) -> str:
        """Stored normalised, one per line, so the list reads the way events are matched against it."""
        try:
            entries = parse_allowed_hostnames(self.cleaned_data["allowed_hostnames"])
        except InvalidHostname as problem:
            raise forms.ValidationError(
                f"{problem} is not a host name: write example.com, *.example.com or xn--… for international names."
            ) from None
        return "\n".join(entries)


@admin.register(Site)
class SiteAdmin(OwnerScopedAdmin):
    form = SiteForm
    list_display = ["domain", "nickname", "timezone", "active_share_links", "share_links"]
    search_fields = ["domain", "nickname"]
    readonly_fields = ["share_links", "install_snippet", "dropped_events", "last_dropped_at", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        active = ShareToken.objects.active(timezone.now()).count_per_site()
        return super().get_queryset(request).select_related("owner").annotate(active_share_link_count=active)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return [*self.list_display, "owner"] if request.user.is_superuser else self.list_display

    def get_list_filter(self, request: HttpRequest) -> list[str]:
        return ["owner"] if request.user.is_superuser else []

    def get_fields(self, request: HttpRequest, obj: Site | None = None) -> list[str]:
        fields = ["domain", "nickname", "timezone", "allowed_hostnames"]
        if request.user.is_superuser:
            fields.append("owner")
        if obj is None:
            return fields
        return [*fields, "dropped_events", "last_dropped_at", "share_links", "install_snippet", "created_at"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Site, form: SiteForm, change: bool) -> None:
        if not request.user.is_superuser:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs: QuerySet, request: HttpRequest) -> tuple:
        """Share links cannot be deleted one by one (they are revoked), but they do go with their site."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(ShareToken._meta.verbose_name)
        return deleted, model_count, perms_needed, protected

    @admin.display(description="Active share links", ordering="active_share_link_count")
    def active_share_links(self, obj: Site) -> int:
        return obj.active_share_link_count

    @admin.display(description="Share links")
    def share_links(self, obj: Site) -> SafeString:
        tokens = reverse("admin:sharing_sharetoken_changelist")
        add = reverse("admin:sharing_sharetoken_add")
        return format_html(
            '<a href="{}?site__id__exact={}">View share links</a> · <a href="{}?site={}">Create one</a>',
            tokens,
            obj.pk,
            add,
            obj.pk,
        )

    @admin.display(description="Install snippet")
    def install_snippet(self, obj: Site) -> SafeString:
        """The exact tag to paste into every page of the site; it starts collecting at once."""
        return install_snippet_html(obj)
