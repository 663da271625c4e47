"""Password reset, under the names Django's auth views and the admin login page look for (no namespace)."""

from django.urls import path

from teams.password_reset import password_reset, password_reset_complete, password_reset_confirm, password_reset_done

urlpatterns = [
    path("password-reset/", password_reset, name="admin_password_reset"),
    path("password-reset/sent/", password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/done/", password_reset_complete, name="password_reset_complete"),
]
