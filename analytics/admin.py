from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy, ngettext

from analytics import blocklists
from analytics.admin_scoping import OwnerScopedAdmin
from analytics.hostnames import InvalidHostname, parse_allowed_hostnames, site_domain
from analytics.members import add_site_member, change_member_role, remove_site_member
from analytics.models import TIMEZONE_LOCKED, MemberEvent, Site, SiteMembership, SitePermission, SiteRole
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
        fields = ["domain", "nickname", "timezone", "allowed_hostnames", "blocked_sources", "blocked_paths"]
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
    """Sites, scoped by the user's role on each. Other apps extend it (sharing adds its share-link columns)."""

    form = SiteForm
    list_display = ["domain", "nickname", "timezone"]
    detail_fields = ["dropped_events", "last_dropped_at", "install_snippet", "created_at"]
    search_fields = ["domain", "nickname"]
    readonly_fields = [
        "people",
        "locked_timezone",
        "install_snippet",
        "dropped_events",
        "last_dropped_at",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Each row knows whether the user manages its people, so the list shows them to owners only."""
        owned = Site.objects.visible_to(request.user, SitePermission.MANAGE_MEMBERS).filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(sees_people=Exists(owned)).prefetch_related("memberships__user")

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return [*self.list_display, "people"]

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
        if obj is None:
            return fields
        people = ["people"] if self.has_manage_members(request, obj) else []
        return [*fields, *people, *self.detail_fields]

    def has_manage_members(self, request: HttpRequest, obj: Site) -> bool:
        return Site.objects.visible_to(request.user, SitePermission.MANAGE_MEMBERS).filter(pk=obj.pk).exists()

    @admin.display(description=gettext_lazy("People"))
    def people(self, obj: Site) -> SafeString | str:
        """Who works on the site and in which role, for its owners; linked to where they are managed."""
        if not getattr(obj, "sees_people", True):
            return "-"
        links = format_html_join(
            "",
            ' · <a href="{}?{}={}">{}</a>',
            ((reverse(url_name), parameter, obj.pk, label) for label, url_name, parameter in PEOPLE_LINKS),
        )
        return format_html("{}{}", people_text(obj), links)

    def save_model(self, request: HttpRequest, obj: Site, form: SiteForm, change: bool) -> None:
        """Whoever adds a site becomes its first owner (`Site.save`); a change to the blocklists also takes the
        traffic they now match out of the site's numbers."""
        if not change:
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


# Links shown after a site's people, as (label, admin URL name, query parameter naming the site). Apps above
# analytics add theirs when they load (teams adds "Invite someone"), so analytics never imports them.
PEOPLE_LINKS: list[tuple[str, str, str]] = [
    (gettext_lazy("Manage"), "admin:analytics_sitemembership_changelist", "site__id__exact"),
]


def people_text(site: Site) -> str:
    """`alice (Owner), bob (Viewer)`: read from the memberships prefetched with the site."""
    members = sorted(site.memberships.all(), key=lambda member: (SiteRole.values.index(member.role), member.user_id))
    return ", ".join(f"{member.user.get_username()} ({member.get_role_display()})" for member in members) or "-"


class MemberScopedAdmin(OwnerScopedAdmin):
    """A site's people are seen and managed only by those who manage its members (its owners)."""

    scope_permissions = {
        "view": SitePermission.MANAGE_MEMBERS,
        "change": SitePermission.MANAGE_MEMBERS,
        "delete": SitePermission.MANAGE_MEMBERS,
    }

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        """Listed on the admin index only for someone who owns a site."""
        perms = super().get_model_perms(request)
        owns = Site.objects.visible_to(request.user, SitePermission.MANAGE_MEMBERS).exists()
        return perms if owns else dict.fromkeys(perms, False)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = SiteMembership
        fields = ["site", "user", "role"]


@admin.register(SiteMembership)
class SiteMembershipAdmin(MemberScopedAdmin):
    """Roles change and members go through `analytics.members`, which keeps an owner on every site.

    Members arrive by invitation; only a superuser adds one directly.
    """

    form = MembershipForm
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role", ("site", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["site", "user"]
    search_fields = ["user__username", "user__email", "site__domain"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_readonly_fields(self, request: HttpRequest, obj: SiteMembership | None = None) -> list[str]:
        return [] if obj is None else ["site", "user", "created_at"]

    def get_fields(self, request: HttpRequest, obj: SiteMembership | None = None) -> list[str]:
        return ["site", "user", "role"] if obj is None else ["site", "user", "role", "created_at"]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A refusal of `analytics.members` (the last owner) rolls the save back and shows as a message."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: SiteMembership, form: MembershipForm, change: bool) -> None:
        if change:
            change_member_role(obj, role=obj.role, actor=request.user, now=timezone.now())
        else:
            add_site_member(site=obj.site, user=obj.user, role=obj.role, actor=request.user, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: SiteMembership) -> None:
        remove_site_member(obj, actor=request.user, now=timezone.now())


@admin.register(MemberEvent)
class MemberEventAdmin(MemberScopedAdmin):
    """Read-only: the history is written by the services that change a site's people."""

    list_display = ["at", "site", "actor", "kind", "subject", "role"]
    list_filter = ["kind", ("site", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["site"]
    search_fields = ["actor", "subject", "site__domain"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MemberEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MemberEvent | None = None) -> bool:
        return False
