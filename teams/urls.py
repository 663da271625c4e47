from django.urls import path

from teams.two_factor import setup_view
from teams.views import invitation_view

app_name = "teams"

urlpatterns = [
    path("invitations/<str:token>/", invitation_view, name="invitation"),
    path("account/two-factor/", setup_view, name="two-factor"),
]
