from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from sharing.api import PublicStatsApi
from sharing.embed_script import embed_script
from sharing.throttling import PublicStatsThrottle
from sharing.views import share_export, share_page

urlpatterns = [
    path("api/public/stats", PublicStatsApi.as_view(), name="public-stats"),
    path("api/schema/", SpectacularAPIView.as_view(throttle_classes=[PublicStatsThrottle]), name="api-schema"),
    path("share/<str:token>/", share_page, name="share-page"),
    path("share/<str:token>/export/<slug:export>.csv", share_export, name="share-export"),
    path("js/embed.js", embed_script, name="embed-script"),
]
