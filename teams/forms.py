from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from analytics.models import Site, SiteRole
from teams.models import Invitation


class InvitationForm(forms.ModelForm):
    """The admin's "Invite someone" form; the site list is narrowed to the sites the user owns."""

    class Meta:
        model = Invitation
        fields = ["site", "email", "role"]

    def __init__(self, *args, sites=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "site" not in self.fields:
            return  # an invitation's own page: every field is read-only
        self.fields["site"].queryset = sites if sites is not None else Site.objects.none()
        self.fields["role"].choices = SiteRole.choices
        self.fields["role"].help_text = _(
            "Owner: everything, members and deletion included. Manager: share links, the dashboard and the site's "
            "settings. Viewer: the dashboard and the list of share links, read-only."
        )


class NewAccountForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, max_length=200, help_text=password_validators_help_text_html()
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=200)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned
