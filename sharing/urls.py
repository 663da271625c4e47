from django.urls import path

from sharing.api import PublicStatsApi

urlpatterns = [
    path("api/public/stats", PublicStatsApi.as_view(), name="public-stats"),
]
