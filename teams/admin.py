"""Invitations and the outbox in the Django admin.

An owner invites from here (or from "Invite someone" on a site's page); the email leaves through
the outbox. Invitations are revoked, never edited or deleted: their history matters.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.admin_scoping import OwnerScopedAdmin
from analytics.models import Site, SitePermission
from teams.forms import InvitationForm
from teams.invitations import invite_member, revoke_invitation
from teams.models import Invitation, OutboxEmail
from teams.outbox import MAX_ATTEMPTS


@admin.register(Invitation)
class InvitationAdmin(OwnerScopedAdmin):
    form = InvitationForm
    list_display = ["email", "site", "role", "state", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", ("site", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["site", "invited_by"]
    search_fields = ["email", "site__domain"]
    actions = ["revoke_selected"]
    scope_permissions = {
        "view": SitePermission.MANAGE_MEMBERS,
        "change": SitePermission.MANAGE_MEMBERS,
        "delete": SitePermission.MANAGE_MEMBERS,
        "revoke": SitePermission.MANAGE_MEMBERS,
    }

    def owned_sites(self, request: HttpRequest) -> QuerySet:
        return Site.objects.visible_to(request.user, SitePermission.MANAGE_MEMBERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not hasattr(request, "_owns_sites"):
            request._owns_sites = self.owned_sites(request).exists()
        return super().has_add_permission(request) and request._owns_sites

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        perms = super().get_model_perms(request)
        return perms if self.has_add_permission(request) else dict.fromkeys(perms, False)

    def get_form(self, request: HttpRequest, obj: Invitation | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        sites = self.owned_sites(request)

        class ScopedForm(form):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, sites=sites, **kwargs)

        return ScopedForm

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        if obj is None:
            return ["site", "email", "role"]
        return ["site", "email", "role", "state", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "site" not in initial:
            sites = list(self.owned_sites(request).values_list("pk", flat=True)[:2])
            if len(sites) == 1:
                initial["site"] = sites[0]
        return initial

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A refusal of `teams.invitations` (already a member, already invited) shows as a message."""
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False, "show_save_and_continue": False}
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Invitation, form: ModelForm, change: bool) -> None:
        sent = invite_member(site=obj.site, email=obj.email, role=obj.role, invited_by=request.user, now=timezone.now())
        obj.pk = sent.invitation.pk
        obj.refresh_from_db()

    def construct_change_message(self, request: HttpRequest, form: ModelForm, formsets: list, add: bool) -> str:
        return _("Invited %(email)s as %(role)s.") % {"email": form.instance.email, "role": form.instance.role}

    def response_add(self, request: HttpRequest, obj: Invitation, post_url_continue: str | None = None) -> HttpResponse:
        self.message_user(
            request,
            _("Invitation to %(email)s queued: the email leaves in a moment. The link works once, for 7 days.")
            % {"email": obj.email},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(request.path.replace("add/", ""))

    @admin.display(description=gettext_lazy("State"))
    def state(self, obj: Invitation) -> str:
        return {
            "pending": _("Pending"),
            "accepted": _("Accepted"),
            "revoked": _("Revoked"),
            "expired": _("Expired"),
        }[obj.status(timezone.now())]

    @admin.action(description=gettext_lazy("Revoke selected invitations"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        revoked = [
            invitation
            for invitation in queryset.select_related("site")
            if revoke_invitation(invitation, actor=request.user, now=now)
        ]
        self.message_user(request, _("Revoked %(count)s invitation(s).") % {"count": len(revoked)})


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """For superusers: what is waiting, what failed and why. The body is never shown (it may hold a link)."""

    list_display = ["subject", "to", "state", "attempts", "created_at", "next_attempt_at", "sent_at", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    fields = ["to", "subject", "state", "attempts", "created_at", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields
    actions = ["retry_now"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: OutboxEmail | None = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEmail | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEmail | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("State"))
    def state(self, obj: OutboxEmail) -> str:
        if obj.sent_at:
            return _("Sent")
        if obj.attempts >= MAX_ATTEMPTS:
            return _("Failed, given up")
        return _("Failed, will retry") if obj.attempts else _("Waiting")

    @admin.action(description=gettext_lazy("Send again now"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(sent_at__isnull=True).update(attempts=0, next_attempt_at=timezone.now())
        self.message_user(request, _("%(count)s email(s) will be sent on the next pass.") % {"count": count})
