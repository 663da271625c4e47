from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.favicon import favicon
from config.health import healthz, metrics, readyz

handler400 = "config.api_errors.bad_request"
handler403 = "config.api_errors.permission_denied"
handler404 = "config.api_errors.not_found"
handler500 = "config.api_errors.server_error"

urlpatterns = [
    # Nothing public lives at the root: it leads to the owner's sites and dashboards (the login first).
    path("", RedirectView.as_view(pattern_name="admin:analytics_site_changelist"), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("sharing.urls")),
    path("", include("teams.urls")),
    path("", include("teams.password_urls")),
    path("", include("analytics.urls")),
]
