from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    """The people around a site: invitations by email and the outbox that sends them.

    Roles and memberships live next to sites (`analytics.models.SiteMembership`); this app only
    brings people in, so it uses analytics and sharing never needs it.
    """

    name = "teams"
    verbose_name = _("Teams")

    def ready(self) -> None:
        """Adds "Invite someone" after a site's people in the site admin (`analytics.admin.PEOPLE_LINKS`), and the
        two-factor code to the admin login (`teams.two_factor`)."""
        from django.contrib import admin

        from analytics.admin import PEOPLE_LINKS
        from teams.two_factor import TwoFactorLoginForm

        PEOPLE_LINKS.append((_("Invite someone"), "admin:teams_invitation_add", "site"))
        admin.site.login_form = TwoFactorLoginForm
        admin.site.login_template = "teams/admin_login.html"
