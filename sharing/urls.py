from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from sharing.api import PublicStatsApi
from sharing.throttling import PublicStatsThrottle
from sharing.views import share_page

urlpatterns = [
    path("api/public/stats", PublicStatsApi.as_view(), name="public-stats"),
    path("api/schema/", SpectacularAPIView.as_view(throttle_classes=[PublicStatsThrottle]), name="api-schema"),
    path("share/<str:token>/", share_page, name="share-page"),
]
