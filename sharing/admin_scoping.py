"""Per-owner scoping for admin pages: superusers see everything, other staff only what they own."""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest


class OwnerScopedAdmin(admin.ModelAdmin):
    """Limits lists, search, filters, autocomplete, change and history pages and actions to the user's objects.

    Everything reads through `get_queryset`, so scoping it covers all of them. An object outside the
    user's scope answers 404 exactly like a missing one (Django's default is a redirect with a message),
    so nobody learns which ids belong to someone else.
    """

    owner_lookup = "owner"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.owner_lookup: request.user})

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} here.")
        return obj

    def owner_id_of(self, obj: Model) -> int:
        return obj.owner_id

    def owns(self, request: HttpRequest, obj: Model | None) -> bool:
        return obj is None or request.user.is_superuser or self.owner_id_of(obj) == request.user.pk

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.owns(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.owns(request, obj)
