from django.urls import path

from analytics.api import event_api
from analytics.script import tracking_script

urlpatterns = [
    path("api/event", event_api, name="event"),
    path("js/script.js", tracking_script, name="tracking-script"),
]
