from django.contrib import admin
from django.urls import include, path

handler400 = "config.api_errors.bad_request"
handler403 = "config.api_errors.permission_denied"
handler404 = "config.api_errors.not_found"
handler500 = "config.api_errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("sharing.urls")),
    path("", include("analytics.urls")),
]
