from django.urls import path

from sharing.api import PublicStatsApi
from sharing.views import share_page

urlpatterns = [
    path("api/public/stats", PublicStatsApi.as_view(), name="public-stats"),
    path("share/<str:token>/", share_page, name="share-page"),
]
