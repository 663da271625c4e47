from django.urls import path

from analytics.api import EventApi
from analytics.script import tracking_script

urlpatterns = [
    path("api/event", EventApi.as_view(), name="event"),
    path("js/script.js", tracking_script, name="tracking-script"),
]
