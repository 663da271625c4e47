"""Per-site scoping for admin pages: superusers see everything, other staff what their role on each site allows."""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from analytics.models import SitePermission


class OwnerScopedAdmin(admin.ModelAdmin):
    """Limits lists, search, filters, autocomplete, change and history pages and actions to the user's objects.

    The model's queryset defines who may do what (`visible_to(user, permission)`, e.g.
    `Site.objects.visible_to`), and everything here reads through it: `scope_permissions` names
    the site permission each admin operation needs. An object the user may not see answers 404
    exactly like a missing one (Django's default is a redirect with a message), so nobody learns
    which ids belong to someone else; one they may see but not change or delete answers 403.
    """

    scope_permissions = {
        "view": SitePermission.VIEW,
        "change": SitePermission.CHANGE_SITE,
        "delete": SitePermission.DELETE_SITE,
    }

    def scoped(self, request: HttpRequest, operation: str) -> QuerySet:
        return self.model._default_manager.visible_to(request.user, self.scope_permissions[operation])

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).visible_to(request.user, self.scope_permissions["view"])

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} here.")
        return obj

    def allowed(self, request: HttpRequest, obj: Model | None, operation: str) -> bool:
        """Asked by every permission check (several per page), answered by one query per object, operation and request.

        Without an object: whether the user may do it to at least one object, so a viewer's lists
        offer no actions and no edit forms.
        """
        if obj is None and operation == "view":
            return True
        answers = request.__dict__.setdefault("_scoped_answers", {})
        key = (self.model, operation, None if obj is None else obj.pk)
        if key not in answers:
            scope = self.scoped(request, operation)
            answers[key] = (scope if obj is None else scope.filter(pk=obj.pk)).exists()
        return answers[key]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.allowed(request, obj, "view")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.allowed(request, obj, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.allowed(request, obj, "delete")

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """An action runs only on the selected objects the user may do it to: a viewer's ids are dropped."""
        action = self.get_actions(request).get(request.POST.get("action", ""))
        for operation in getattr(action[0], "allowed_permissions", ()) if action else ():
            if operation in self.scope_permissions:
                queryset = queryset.filter(pk__in=self.scoped(request, operation).values("pk"))
        return super().response_action(request, queryset)
