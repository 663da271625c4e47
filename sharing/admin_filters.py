from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy


class StatusFilter(admin.SimpleListFilter):
    """Active / expired / revoked as of this request, from `revoked_at` and `expires_at`.

    Uses the same queryset methods as token lookups, so a token listed as active is exactly one
    the API accepts (including an old token still in its rotation grace period).
    """

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", gettext("Active")), ("expired", gettext("Expired")), ("revoked", gettext("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.active(now)
            case "expired":
                return queryset.expired(now)
            case "revoked":
                return queryset.revoked(now)
        return queryset
