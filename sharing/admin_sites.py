"""The Site admin, extended with share-link columns: analytics knows nothing of share links, so sharing adds them."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from analytics.admin import SiteAdmin
from analytics.models import Site
from sharing.models import ShareToken


class SiteWithShareLinksAdmin(SiteAdmin):
    list_display = [*SiteAdmin.list_display, "active_share_links", "share_links"]
    detail_fields = ["share_links", *SiteAdmin.detail_fields]
    readonly_fields = [*SiteAdmin.readonly_fields, "share_links"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        active = ShareToken.objects.active(timezone.now()).count_per_site()
        return super().get_queryset(request).annotate(active_share_link_count=active)

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


admin.site.unregister(Site)
admin.site.register(Site, SiteWithShareLinksAdmin)
