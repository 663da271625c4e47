"""Share links in the Django admin: list, create (token shown once), change, revoke, rotate, extend.

Every write goes through `sharing.services`, the same functions the commands use. The raw token
is shown on one page only, reached by a redirect from the POST that made it, so a reload never
makes a second link (`sharing.issued_handoff` explains how the token gets there); it is never
put in a message, the session, the admin history or the database.
"""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Field, QuerySet
from django.db.models.fields.related import ForeignKey
from django.forms import Field as FormField
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_lazy, ngettext

from analytics.admin_scoping import OwnerScopedAdmin
from analytics.models import Site, SitePermission
from sharing import admin_sites  # noqa: F401 - registers the Site admin with its share-link columns
from sharing.admin_display import (
    api_url,
    embed_url,
    iframe_snippet,
    in_site_timezone,
    periods_text,
    share_page_url,
    site_date,
    site_time,
    status_badge,
    status_sentence,
)
from sharing.admin_filters import StatusFilter
from sharing.admin_forms import RotateForm, ShareTokenForm
from sharing.embedding import origins_text
from sharing.formatting import format_count
from sharing.issued_handoff import hand_off, take_hand_off
from sharing.models import ShareToken
from sharing.sections import sections_text
from sharing.services import (
    NOT_ROTATABLE,
    IssuedToken,
    create_share_token,
    extend_share_token_expiry,
    revoke_share_token,
    rotate_share_token,
    update_share_token,
)
from sharing.tokens import looks_like_token, token_digest
from sharing.usage import flush_token_usage

EXTENSION = dt.timedelta(days=30)
ADD_FIELDS = [
    "site",
    "label",
    "allowed_periods",
    "expires_at",
    "password",
    "hidden_sections",
    "frame_origins",
    "language",
]
READER_TEXTS = ["password_state", "sections", "embedding", "reader_language"]
USAGE_FIELDS = ["last_used", "use_count", "created", "creator"]


@admin.register(ShareToken)
class ShareTokenAdmin(OwnerScopedAdmin):
    form = ShareTokenForm
    list_display = ["name", "status", "periods", "expires_on", "last_used", "uses", "created_on"]
    list_display_links = ["name"]
    list_filter = [StatusFilter, ("site", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["site"]
    search_fields = ["label", "site__domain", "display_prefix"]
    search_help_text = gettext_lazy(
        "Search by label, site domain or token prefix (glimpse_…); a pasted full token also works."
    )
    ordering = ["-created_at", "-id"]
    autocomplete_fields = ["site"]
    actions = ["revoke_selected", "extend_expiry"]
    # Share links are never deleted (`has_delete_permission`); managing them is changing them.
    scope_permissions = {
        "view": SitePermission.VIEW,
        "change": SitePermission.MANAGE_LINKS,
        "delete": SitePermission.MANAGE_LINKS,
    }

    # --- Pages -------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: ShareToken | None = None) -> list:
        if obj is None:
            return [(None, {"fields": ADD_FIELDS})]
        if self.can_edit_access(request, obj):
            access = ["allowed_periods", "expires_at"]
            reader = ["password_state", "password", *(["remove_password"] if obj.has_password else [])]
            reader += ["hidden_sections", "frame_origins", "language"]
        else:
            access, reader = ["periods", "expires"], READER_TEXTS
        return [
            (None, {"fields": ["site", "label"]}),
            (gettext("Access"), {"fields": access}),
            (gettext("What readers see and where"), {"fields": reader}),
            (gettext("Usage"), {"fields": USAGE_FIELDS}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ShareToken | None = None) -> list[str]:
        if obj is None:
            return []
        readonly = ["site", "periods", "expires", *READER_TEXTS, *USAGE_FIELDS]
        if not self.can_edit_access(request, obj):
            readonly += ["allowed_periods", "expires_at"]
        return readonly

    def can_edit_access(self, request: HttpRequest, obj: ShareToken) -> bool:
        return self.has_change_permission(request, obj) and is_changeable(obj, now=timezone.now())

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs) -> FormField | None:
        """No add/edit/view-site icons beside the site: choosing is all the form is for."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "site" and formfield is not None:
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = widget.can_view_related = False
        return formfield

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs) -> ModelChoiceField:
        if db_field.name == "site":
            kwargs["queryset"] = self.selectable_sites(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def selectable_sites(self, request: HttpRequest) -> QuerySet:
        return Site.objects.visible_to(request.user, SitePermission.MANAGE_LINKS)

    def manages_links(self, request: HttpRequest) -> bool:
        """Whether the user manages the links of at least one site: only then may they make one or act on some."""
        if not hasattr(request, "_manages_links"):
            request._manages_links = self.selectable_sites(request).exists()
        return request._manages_links

    def allowed(self, request: HttpRequest, obj: ShareToken | None, operation: str) -> bool:
        if obj is None and operation != "view":
            return self.manages_links(request)
        return super().allowed(request, obj, operation)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """A viewer never holds a token, so never makes one."""
        return super().has_add_permission(request) and self.manages_links(request)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "site" not in initial:
            own_sites = list(self.selectable_sites(request).values_list("pk", flat=True)[:2])
            if len(own_sites) == 1:
                initial["site"] = own_sites[0]
        return initial

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        pasted = [term for term in search_term.split() if looks_like_token(term)]
        if pasted:
            results |= queryset.filter(digest__in=[token_digest(term) for term in pasted])
        return results, may_have_duplicates

    def has_delete_permission(self, request: HttpRequest, obj: ShareToken | None = None) -> bool:
        """Share links are revoked, never deleted: their history matters. They go only with their site."""
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        flush_token_usage(token_ids=list(self.get_queryset(request).values_list("pk", flat=True)), now=timezone.now())
        return super().changelist_view(request, extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        site_id = self.get_changeform_initial_data(request).get("site")
        site = self.selectable_sites(request).filter(pk=site_id).first() if str(site_id or "").isdigit() else None
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            "form_zone": site.timezone if site else "UTC",
        }
        return in_site_timezone(site, lambda: super(ShareTokenAdmin, self).add_view(request, form_url, extra_context))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        now = timezone.now()
        obj = self.get_object(request, unquote(object_id))
        flush_token_usage(token_ids=[obj.pk], now=now)
        can_change = self.has_change_permission(request, obj)
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "form_zone": obj.site.timezone,
            "lifecycle": {
                "badge": status_badge(obj, now=now),
                "sentence": status_sentence(obj, now=now),
                "can_rotate": can_change and self.has_add_permission(request) and is_changeable(obj, now=now),
                "can_revoke": can_change and obj.status(now) != "revoked",
                "rotate_url": reverse("admin:sharing_sharetoken_rotate", args=[obj.pk]),
                "revoke_url": reverse("admin:sharing_sharetoken_revoke", args=[obj.pk]),
                "iframe": iframe_snippet(share_url=share_page_url(f"{obj.display_prefix}…"), share_token=obj),
            },
        }
        return in_site_timezone(
            obj.site, lambda: super(ShareTokenAdmin, self).change_view(request, object_id, form_url, extra_context)
        )

    # --- Saving --------------------------------------------------------------------------
    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A service's refusal (it raises `ValidationError`) rolls the save back and shows as a message."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: ShareToken, form: ShareTokenForm, change: bool) -> None:
        reader = form.cleaned_data
        if change:
            editable = self.can_edit_access(request, obj)
            update_share_token(
                obj,
                label=obj.label,
                allowed_periods=obj.allowed_periods,
                expires_at=obj.expires_at,
                now=form.now,
                hidden_sections=reader.get("hidden_sections", []) if editable else None,
                frame_origins=reader.get("frame_origins", []) if editable else None,
                language=reader.get("language", "") if editable else None,
                new_password=reader.get("password", "") if editable else "",
                remove_password=reader.get("remove_password", False) if editable else False,
            )
            return
        issued = create_share_token(
            site=obj.site,
            now=form.now,
            label=obj.label,
            allowed_periods=obj.allowed_periods,
            expires_at=obj.expires_at,
            created_by=request.user,
            password=reader.get("password", ""),
            hidden_sections=reader.get("hidden_sections", []),
            frame_origins=reader.get("frame_origins", []),
            language=reader.get("language", ""),
        )
        obj.pk = issued.share_token.pk
        obj.refresh_from_db()
        obj.issued = issued

    def construct_change_message(self, request: HttpRequest, form: ModelForm, formsets: list, add: bool) -> str:
        if add:
            return f"Created share link {describe(form.instance)}."
        return form.describe_changes()

    def response_add(self, request: HttpRequest, obj: ShareToken, post_url_continue: str | None = None) -> HttpResponse:
        return self.issued_redirect(request, obj.issued)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        return in_site_timezone(obj.site, lambda: super(ShareTokenAdmin, self).history_view(request, object_id))

    # --- List columns ----------------------------------------------------------------------
    @admin.display(description=gettext_lazy("Label and site"), ordering="label")
    def name(self, obj: ShareToken) -> SafeString:
        """Three lines in one column, so that every column fits a 1280 px screen."""
        return format_html(
            '{}<br><small class="quiet"><code>{}…</code></small><br><small class="glimpse-link-site">{}</small>',
            obj.label or gettext("(no label)"),
            obj.display_prefix,
            obj.site.domain,
        )

    @admin.display(description=gettext_lazy("Status"))
    def status(self, obj: ShareToken) -> SafeString:
        return status_badge(obj, now=timezone.now())

    @admin.display(description=gettext_lazy("Periods"))
    def periods(self, obj: ShareToken) -> str:
        return periods_text(obj)

    @admin.display(description=gettext_lazy("Expires"), ordering="expires_at")
    def expires(self, obj: ShareToken) -> str:
        return site_time(obj.expires_at, obj.site)

    @admin.display(description=gettext_lazy("Expires"), ordering="expires_at")
    def expires_on(self, obj: ShareToken) -> SafeString | str:
        """The date in the list, the exact moment on hover, as "Created" does."""
        if obj.expires_at is None:
            return gettext("Never")
        return format_html(
            '<span title="{}">{}</span>', site_time(obj.expires_at, obj.site), site_date(obj.expires_at, obj.site)
        )

    @admin.display(description=gettext_lazy("Password"))
    def password_state(self, obj: ShareToken) -> str:
        return gettext("Set (readers must type it)") if obj.has_password else gettext("None")

    @admin.display(description=gettext_lazy("Sections shown"))
    def sections(self, obj: ShareToken) -> str:
        return sections_text(obj.hidden_sections)

    @admin.display(description=gettext_lazy("Embedding origins"))
    def embedding(self, obj: ShareToken) -> str:
        return origins_text(obj.frame_origins)

    @admin.display(description=gettext_lazy("Language"))
    def reader_language(self, obj: ShareToken) -> str:
        return obj.get_language_display() if obj.language else gettext("Each reader's browser language")

    @admin.display(description=gettext_lazy("Last used"), ordering="last_used_at")
    def last_used(self, obj: ShareToken) -> SafeString | str:
        if obj.last_used_at is None:
            return gettext("Never")
        now = timezone.now()
        ago = (
            gettext("just now")
            if now - obj.last_used_at < dt.timedelta(minutes=1)
            else gettext("%(time)s ago") % {"time": timesince(obj.last_used_at, now, depth=1)}
        )
        return format_html('<span title="{}">{}</span>', site_time(obj.last_used_at, obj.site), ago)

    @admin.display(description=gettext_lazy("Created by"))
    def creator(self, obj: ShareToken) -> str:
        return obj.created_by.get_username() if obj.created_by else "-"

    @admin.display(description=gettext_lazy("Uses"), ordering="use_count")
    def uses(self, obj: ShareToken) -> str:
        return format_count(obj.use_count)

    @admin.display(description=gettext_lazy("Created"), ordering="created_at")
    def created(self, obj: ShareToken) -> str:
        return site_time(obj.created_at, obj.site)

    @admin.display(description=gettext_lazy("Created"), ordering="created_at")
    def created_on(self, obj: ShareToken) -> SafeString:
        return format_html(
            '<span title="{}">{}</span>', site_time(obj.created_at, obj.site), site_date(obj.created_at, obj.site)
        )

    # --- Actions ---------------------------------------------------------------------------
    @admin.action(description=gettext_lazy("Revoke selected share links"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        tokens = list(queryset.select_related("site"))
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/sharing/sharetoken/revoke_selected_confirmation.html",
                {**self.page_context(request, gettext("Revoke share links")), "tokens": tokens},
            )
        now = timezone.now()
        revoked = [token for token in tokens if revoke_share_token(token, now=now)]
        for token in revoked:
            self.log_change(request, token, "Revoked: the link stopped working immediately.")
        message = ngettext("Revoked %(count)s share link.", "Revoked %(count)s share links.", len(revoked)) % {
            "count": format_count(len(revoked))
        }
        if len(tokens) > len(revoked):
            message += " " + gettext("%(count)s already revoked, left as they were.") % {
                "count": format_count(len(tokens) - len(revoked))
            }
        self.message_user(request, message)
        return None

    @admin.action(description=gettext_lazy("Extend expiry by 30 days"), permissions=["change"])
    def extend_expiry(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        changeable = set(queryset.changeable(now).values_list("pk", flat=True))
        extended, never, skipped = 0, 0, 0
        for token in queryset.select_related("site"):
            before = token.expires_at
            if extend_share_token_expiry(token, by=EXTENSION, now=now):
                extended += 1
                self.log_change(
                    request,
                    token,
                    f"Expiry extended by 30 days, from {site_time(before, token.site)} "
                    f"to {site_time(token.expires_at, token.site)}.",
                )
            elif before is None and token.pk in changeable:
                never += 1
            else:
                skipped += 1
        message = ngettext(
            "Extended the expiry of %(count)s share link by 30 days.",
            "Extended the expiry of %(count)s share links by 30 days.",
            extended,
        ) % {"count": format_count(extended)}
        if never:
            message += " " + ngettext(
                "%(count)s link never expires, left as is.", "%(count)s links never expire, left as is.", never
            ) % {"count": format_count(never)}
        if skipped:
            message += " " + gettext("Skipped %(count)s expired, revoked or replaced: those cannot be extended.") % {
                "count": format_count(skipped)
            }
        self.message_user(request, message, messages.SUCCESS if extended else messages.WARNING)

    # --- Revoke and rotate pages ---------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/revoke/", wrap(self.revoke_view), name="sharing_sharetoken_revoke"),
            path("<path:object_id>/rotate/", wrap(self.rotate_view), name="sharing_sharetoken_rotate"),
            path("<path:object_id>/issued/<str:handoff>/", wrap(self.issued_view), name="sharing_sharetoken_issued"),
            *super().get_urls(),
        ]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        share_token = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, share_token):
            raise PermissionDenied
        now = timezone.now()
        if share_token.status(now) == "revoked":
            self.message_user(request, gettext("This share link was already revoked."), level="warning")
            return self.back_to(share_token)
        if request.method == "POST":
            revoke_share_token(share_token, now=now)
            self.log_change(request, share_token, "Revoked: the link stopped working immediately.")
            self.message_user(
                request, gettext("Revoked %(link)s. It stopped working immediately.") % {"link": share_token}
            )
            return self.back_to(share_token)
        return TemplateResponse(
            request,
            "admin/sharing/sharetoken/revoke_confirmation.html",
            {**self.page_context(request, gettext("Revoke share link"), share_token), "now": now},
        )

    def rotate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        share_token = self.get_object(request, unquote(object_id))
        if not (self.has_change_permission(request, share_token) and self.has_add_permission(request)):
            raise PermissionDenied
        now = timezone.now()
        if not is_changeable(share_token, now=now):
            self.message_user(request, str(NOT_ROTATABLE), messages.WARNING)
            return self.back_to(share_token)
        form = RotateForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                issued = rotate_share_token(share_token, grace=form.grace_period(), created_by=request.user, now=now)
            except ValidationError as refused:
                self.message_user(request, " ".join(refused.messages), messages.WARNING)
                return self.back_to(share_token)
            until = gettext("stopped working immediately")
            if share_token.revoked_at > now:
                until = gettext("keeps working until %(time)s") % {
                    "time": site_time(share_token.revoked_at, share_token.site)
                }
            self.log_change(
                request,
                share_token,
                f"Rotated: replaced by {issued.share_token.display_prefix}…; the old link {until}.",
            )
            self.log_addition(
                request, issued.share_token, f"Created by rotating {describe(share_token)}, with the same settings."
            )
            return self.issued_redirect(request, issued, replaced=share_token, replaced_until=until)
        return TemplateResponse(
            request,
            "admin/sharing/sharetoken/rotate_form.html",
            {**self.page_context(request, gettext("Rotate share link"), share_token), "form": form},
        )

    def issued_redirect(
        self, request: HttpRequest, issued: IssuedToken, *, replaced: ShareToken | None = None, replaced_until: str = ""
    ) -> HttpResponseRedirect:
        """Post/redirect/get: the POST that issued the token answers with a redirect to the page showing it."""
        handoff = hand_off(
            issued, user=request.user, replaced_id=replaced.pk if replaced else None, until=replaced_until
        )
        return HttpResponseRedirect(reverse("admin:sharing_sharetoken_issued", args=[issued.share_token.pk, handoff]))

    def issued_view(self, request: HttpRequest, object_id: str, handoff: str) -> HttpResponse:
        """The one page that ever shows a raw token, once: a reload finds the hand-off gone and says so."""
        share_token = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, share_token):
            raise PermissionDenied
        taken = take_hand_off(handoff, user=request.user, share_token_id=share_token.pk)
        if taken is None:
            return self.already_shown_response(request, share_token)
        replaced = ShareToken.objects.filter(pk=taken.replaced_id).first() if taken.replaced_id else None
        share_url = share_page_url(taken.raw_token)
        context = {
            **self.page_context(request, gettext("Copy your new share link"), share_token),
            "raw_token": taken.raw_token,
            "share_url": share_url,
            "api_url": api_url(taken.raw_token, period=share_token.default_period),
            "iframe": iframe_snippet(share_url=share_url, share_token=share_token),
            "embed_url": embed_url(share_url=share_url, share_token=share_token),
            # The preview is served by this very server, whatever GLIMPSE_BASE_URL says the readers use.
            "preview_url": embed_url(share_url=reverse("share-page", args=[taken.raw_token]), share_token=share_token),
            "periods": periods_text(share_token),
            "default_period": share_token.default_period,
            "expires": site_time(share_token.expires_at, share_token.site),
            "replaced": replaced,
            "replaced_until": taken.replaced_until,
            "copy_texts": {
                "copy": gettext("Copy"),
                "copied": gettext("Copied!"),
                "pressCtrlC": gettext("Press Ctrl+C"),
            },
        }
        response = TemplateResponse(request, "admin/sharing/sharetoken/issued.html", context)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def already_shown_response(self, request: HttpRequest, share_token: ShareToken) -> HttpResponse:
        context = {
            **self.page_context(request, gettext("This link was already shown"), share_token),
            "can_rotate": self.has_change_permission(request, share_token)
            and self.has_add_permission(request)
            and is_changeable(share_token, now=timezone.now()),
            "rotate_url": reverse("admin:sharing_sharetoken_rotate", args=[share_token.pk]),
        }
        response = TemplateResponse(request, "admin/sharing/sharetoken/already_shown.html", context)
        response["Referrer-Policy"] = "no-referrer"
        return response

    # --- Helpers -----------------------------------------------------------------------------
    def page_context(self, request: HttpRequest, title: str, share_token: ShareToken | None = None) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(share_token) if share_token else None,
            "opts": self.opts,
            "original": share_token,
            "verbose_name_plural": capfirst(self.opts.verbose_name_plural),
        }

    def back_to(self, share_token: ShareToken) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:sharing_sharetoken_change", args=[share_token.pk]))


def is_changeable(share_token: ShareToken, *, now: dt.datetime) -> bool:
    return ShareToken.objects.changeable(now).filter(pk=share_token.pk).exists()


def describe(share_token: ShareToken) -> str:
    """A token as history and messages name it: label, prefix, site and access. Never the token itself."""
    return (
        f"{share_token.label or '(no label)'!r} ({share_token.display_prefix}…) for {share_token.site.domain}; "
        f"periods: {periods_text(share_token)}; expires: {site_time(share_token.expires_at, share_token.site)}; "
        f"password: {'yes' if share_token.has_password else 'no'}; "
        f"sections: {sections_text(share_token.hidden_sections)}; embedding: {origins_text(share_token.frame_origins)}"
    )
