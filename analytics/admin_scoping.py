"""Per-owner scoping for admin pages: superusers see everything, other staff only what they own."""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest


class OwnerScopedAdmin(admin.ModelAdmin):
    """Limits lists, search, filters, autocomplete, change and history pages and actions to the user's objects.

    The model's queryset defines who sees what (`visible_to(user)`, e.g. `Site.objects.visible_to`),
    and everything here reads through it. An object outside the user's scope answers 404 exactly
    like a missing one (Django's default is a redirect with a message), so nobody learns which ids
    belong to someone else.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} here.")
        return obj

    def visible(self, request: HttpRequest, obj: Model | None) -> bool:
        """Asked by every permission check (several per page), answered by one query per object and request."""
        if obj is None:
            return True
        answers = request.__dict__.setdefault("_visible_objects", {})
        key = (self.model, obj.pk)
        if key not in answers:
            answers[key] = self.model._default_manager.visible_to(request.user).filter(pk=obj.pk).exists()
        return answers[key]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.visible(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.visible(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.visible(request, obj)
