"""The Site admin, extended by sharing: share-link columns, the owner's dashboard, the setup check, deletion.

Analytics knows nothing of share links, so sharing adds them, and the dashboard with them: it is
the share page's dashboard, with a button that turns the period being viewed into a share link.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy, ngettext

from analytics.admin import SiteAdmin
from analytics.live import live_activity
from analytics.models import Pageview, Session, Site, SitePermission
from sharing.admin_display import in_site_timezone, site_time
from sharing.formatting import format_count
from sharing.models import ShareToken
from sharing.owner_dashboard import POLL_SECONDS, dashboard_page, setup_check, setup_check_payload


class SiteWithShareLinksAdmin(SiteAdmin):
    list_display = [*SiteAdmin.list_display, "dashboard", "active_share_links", "share_links"]
    detail_fields = [
        "dashboard",
        "setup_check",
        "install_snippet",
        "share_links",
        "dropped_events",
        "last_dropped_at",
        "created",
    ]
    readonly_fields = [*SiteAdmin.readonly_fields, "dashboard", "setup_check", "share_links", "created"]

    class Media:
        css = {"all": ["glimpse/admin-site.css"]}
        js = ["glimpse/admin-site.js", "glimpse/live.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        active = ShareToken.objects.active(timezone.now()).count_per_site()
        managed = Site.objects.visible_to(request.user, SitePermission.MANAGE_LINKS).filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(active_share_link_count=active, manages_links=Exists(managed))

    # --- Pages -------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Site | None = None) -> list:
        """On a site's page, what a new site needs first: its dashboard, the setup check and the snippet."""
        if obj is None:
            return super().get_fieldsets(request, obj)
        first = ["dashboard", "setup_check", "install_snippet"]
        rest = [name for name in self.get_fields(request, obj) if name not in first]
        return [(None, {"fields": first}), (gettext("Settings"), {"fields": rest})]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/dashboard/", wrap(self.dashboard_view), name="analytics_site_dashboard"),
            path("<path:object_id>/setup-check/", wrap(self.setup_check_view), name="analytics_site_setup_check"),
            *super().get_urls(),
        ]

    def viewable_site(self, request: HttpRequest, object_id: str) -> Site:
        """A site the user is no member of is a 404, exactly like a missing one (`OwnerScopedAdmin.get_object`)."""
        site = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, site):
            raise PermissionDenied
        return site

    def dashboard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        site = self.viewable_site(request, object_id)
        context = {**self.admin_site.each_context(request), "opts": self.opts}
        if self.has_manage_members(request, site):
            context["people"] = self.people(site)
        return dashboard_page(
            request, site=site, context=context, can_create_links=site.manages_links, now=timezone.now()
        )

    def setup_check_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return setup_check(site=self.viewable_site(request, object_id), now=timezone.now())

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        site = self.viewable_site(request, object_id)
        return in_site_timezone(site, lambda: super(SiteWithShareLinksAdmin, self).history_view(request, object_id))

    def response_add(self, request: HttpRequest, obj: Site, post_url_continue: str | None = None) -> HttpResponse:
        """A new site's next step is its snippet and setup check, on its own page, not the list."""
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            gettext(
                "Added %(domain)s. Paste the snippet below into your pages; the setup check turns green "
                "with the first pageview."
            )
            % {"domain": obj.domain},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:analytics_site_change", args=[obj.pk]))

    # --- Deleting ------------------------------------------------------------------------
    def get_deleted_objects(self, objs: QuerySet | list, request: HttpRequest) -> tuple:
        """Counts instead of Django's list of every related row, which for a busy site would be millions.

        Share links cannot be deleted one by one (they are revoked), but they do go with their site.
        """
        ids = [site.pk for site in objs]
        if not ids:
            return [], {}, {"site"}, []
        now = timezone.now()
        tokens = ShareToken.objects.filter(site__in=ids)
        pageviews = Pageview.objects.filter(site__in=ids).count()
        sessions = Session.objects.filter(site__in=ids).count()
        links, working = tokens.count(), tokens.active(now).count()
        goes_with = [
            gettext("All its collected data: %(pageviews)s in %(visits)s, and the daily totals built from them")
            % {
                "pageviews": ngettext("%(count)s pageview", "%(count)s pageviews", pageviews)
                % {"count": format_count(pageviews)},
                "visits": ngettext("%(count)s visit", "%(count)s visits", sessions) % {"count": format_count(sessions)},
            },
            ngettext(
                "%(count)s share link (%(working)s working now): every one stops working at once",
                "%(count)s share links (%(working)s working now): every one stops working at once",
                links,
            )
            % {"count": format_count(links), "working": format_count(working)},
        ]
        named = (
            gettext("Site: %(domain)s") % {"domain": objs[0].domain}
            if len(ids) == 1
            else gettext("Sites: %(domains)s") % {"domains": ", ".join(site.domain for site in objs)}
        )
        deleted = [named, goes_with]
        model_count = {"sites": len(ids), "pageviews": pageviews, "visits": sessions, "share links": links}
        perms_needed = set() if all(self.has_delete_permission(request, site) for site in objs) else {"site"}
        return deleted, model_count, perms_needed, []

    # --- Columns and fields ----------------------------------------------------------------
    @admin.display(description=gettext_lazy("Dashboard"))
    def dashboard(self, obj: Site) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:analytics_site_dashboard", args=[obj.pk]), gettext("Dashboard")
        )

    @admin.display(description=gettext_lazy("Active share links"), ordering="active_share_link_count")
    def active_share_links(self, obj: Site) -> int:
        return obj.active_share_link_count

    @admin.display(description=gettext_lazy("Share links"))
    def share_links(self, obj: Site) -> SafeString:
        tokens = reverse("admin:sharing_sharetoken_changelist")
        add = reverse("admin:sharing_sharetoken_add")
        if not getattr(obj, "manages_links", True):
            return format_html('<a href="{}?site__id__exact={}">View share links</a>', tokens, obj.pk)
        return format_html(
            '<a href="{}?site__id__exact={}">{}</a> · <a href="{}?site={}">{}</a>',
            tokens,
            obj.pk,
            gettext("View share links"),
            add,
            obj.pk,
            gettext("Create one"),
        )

    @admin.display(description=gettext_lazy("Setup check"))
    def setup_check(self, obj: Site) -> SafeString:
        """Filled in and kept current by static/glimpse/live.js, which polls the setup-check endpoint."""
        check = setup_check_payload(live_activity(site=obj, now=timezone.now()))
        return format_html(
            '<div class="glimpse-setup" data-live-url="{}" data-live-every="{}" data-status="{}">'
            '<strong data-live="message" id="glimpse-setup-message" role="status" aria-live="polite">{}</strong>'
            '<div class="help">{}</div></div>',
            reverse("admin:analytics_site_setup_check", args=[obj.pk]),
            POLL_SECONDS,
            check["status"],
            check["message"],
            gettext(
                "Checked every %(seconds)s seconds: open a page that carries the snippet and this turns "
                "green by itself, no reload needed."
            )
            % {"seconds": POLL_SECONDS},
        )

    @admin.display(description=gettext_lazy("Created"))
    def created(self, obj: Site) -> str:
        return site_time(obj.created_at, obj)


admin.site.unregister(Site)
admin.site.register(Site, SiteWithShareLinksAdmin)
