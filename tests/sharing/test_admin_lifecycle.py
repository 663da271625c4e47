"""Revoke, rotate (with and without grace) and bulk actions from the admin, checked against the public API."""

import datetime as dt
import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.utils import timezone

from analytics.models import SiteMembership, SiteRole
from sharing.models import ShareToken
from sharing.owners import create_site_owner
from sharing.selectors import find_active_token
from sharing.services import rotate_share_token
from tests.factories import ShareTokenFactory, SiteFactory

CHANGELIST = "/admin/sharing/sharetoken/"
TOKEN_PATTERN = re.compile(r"glimpse_[A-Za-z0-9_-]{43}")


@pytest.fixture
def owned_site(owner):
    return SiteFactory(owner=owner, domain="olivia.example", timezone="UTC")


def api_status(client, raw_token: str, period: str = "7d") -> int:
    return client.get("/api/public/stats", {"token": raw_token, "period": period}).status_code


def test_revoke_page_asks_first_then_revokes_at_once(owner_client, owned_site, client):
    share_token = ShareTokenFactory(site=owned_site, label="Report")
    url = f"/admin/sharing/sharetoken/{share_token.pk}/revoke/"

    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "can never work again" in confirm.content.decode()
    assert "may still be shown for up to 5 minutes" in confirm.content.decode()
    assert ShareToken.objects.get(pk=share_token.pk).revoked_at is None

    response = owner_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/sharing/sharetoken/{share_token.pk}/change/"
    assert ShareToken.objects.get(pk=share_token.pk).status(timezone.now()) == "revoked"
    assert api_status(client, share_token.raw_token) == 404
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.change_message) == (CHANGE, "Revoked: the link stopped working immediately.")


def test_revoked_token_page_offers_no_way_back(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, revoked=True)

    page = owner_client.get(f"/admin/sharing/sharetoken/{share_token.pk}/change/").content.decode()
    rotate = owner_client.post(f"/admin/sharing/sharetoken/{share_token.pk}/rotate/", {"grace": "0"})

    assert "Revoke…" not in page
    assert "Rotate…" not in page
    assert "A revoked link never works again." in page
    assert rotate.status_code == 302
    assert ShareToken.objects.count() == 1


def test_rotate_without_grace_shows_new_token_once_and_stops_the_old_one(owner_client, owned_site, client):
    old = ShareTokenFactory(
        site=owned_site, label="Embed", allowed_periods=["7d", "30d"], expires_at=timezone.now() + dt.timedelta(days=7)
    )
    url = f"/admin/sharing/sharetoken/{old.pk}/rotate/"

    form = owner_client.get(url)
    posted = owner_client.post(url, {"grace": "0"})
    response = owner_client.get(posted["Location"])

    assert form.status_code == 200
    assert "24 hours" in form.content.decode()
    assert posted.status_code == 302
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw_tokens = set(TOKEN_PATTERN.findall(response.content.decode()))
    assert len(raw_tokens) == 1
    new_raw = raw_tokens.pop()
    new = ShareToken.objects.exclude(pk=old.pk).get()
    assert (new.site, new.label, new.allowed_periods, new.expires_at) == (
        owned_site,
        "Embed",
        ["7d", "30d"],
        old.expires_at,
    )
    assert "stopped working immediately" in response.content.decode()
    assert api_status(client, old.raw_token) == 404
    assert api_status(client, new_raw) == 200
    assert api_status(client, new_raw, "90d") == 403
    messages = dict(LogEntry.objects.values_list("action_flag", "change_message"))
    assert messages[CHANGE] == f"Rotated: replaced by {new.display_prefix}…; the old link stopped working immediately."
    assert messages[ADDITION].startswith(f"Created by rotating 'Embed' ({old.display_prefix}…)")


def test_rotate_with_grace_keeps_the_old_token_working_until_the_grace_ends(owner_client, owned_site, client):
    old = ShareTokenFactory(site=owned_site)
    before = timezone.now()

    response = owner_client.post(f"/admin/sharing/sharetoken/{old.pk}/rotate/", {"grace": "3600"}, follow=True)

    after = timezone.now()
    assert response.status_code == 200
    new = ShareToken.objects.exclude(pk=old.pk).get()
    assert f"This link replaces <strong>{old}</strong>, which keeps working until" in response.content.decode()
    old.refresh_from_db()
    assert before + dt.timedelta(hours=1) <= old.revoked_at <= after + dt.timedelta(hours=1)
    assert api_status(client, old.raw_token) == 200
    assert find_active_token(old.raw_token, now=old.revoked_at - dt.timedelta(seconds=1)) == old
    assert find_active_token(old.raw_token, now=old.revoked_at) is None
    filtered = owner_client.get(CHANGELIST, {"status": "active"}).content.decode()
    assert filtered.count("glimpse-status-active") == 2
    replacement = f"/admin/sharing/sharetoken/{new.pk}/change/"
    assert f'<a href="{replacement}" class="glimpse-replacement">replaced</a>, works until' in filtered
    old_page = owner_client.get(f"/admin/sharing/sharetoken/{old.pk}/change/").content.decode()
    assert f'<a href="{replacement}" class="glimpse-replacement">Replaced by rotation: see the new link</a>' in old_page


def test_old_token_in_grace_can_still_be_revoked_at_once(owner_client, owned_site, client):
    old = ShareTokenFactory(site=owned_site)
    rotate_share_token(old, now=timezone.now(), grace=dt.timedelta(hours=24))

    page = owner_client.get(f"/admin/sharing/sharetoken/{old.pk}/change/").content.decode()
    owner_client.post(f"/admin/sharing/sharetoken/{old.pk}/revoke/")

    assert "Rotate…" not in page
    assert "Replaced by rotation" in page
    assert api_status(client, old.raw_token) == 404


def test_invalid_grace_choice_shows_the_form_again(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site)

    response = owner_client.post(f"/admin/sharing/sharetoken/{share_token.pk}/rotate/", {"grace": "999999"})

    assert response.status_code == 200
    assert "Please choose what happens to the old link." in response.content.decode()
    assert ShareToken.objects.count() == 1


def test_bulk_revoke_confirms_then_revokes_and_counts(owner_client, owned_site, client):
    first, second = ShareTokenFactory(site=owned_site), ShareTokenFactory(site=owned_site)
    already = ShareTokenFactory(site=owned_site, revoked=True)
    untouched = ShareTokenFactory(site=owned_site)
    selected = [first.pk, second.pk, already.pk]

    confirm = owner_client.post(CHANGELIST, {"action": "revoke_selected", "_selected_action": selected, "index": "0"})
    assert confirm.status_code == 200
    assert "Yes, revoke 3 share links" in confirm.content.decode()
    assert not ShareToken.objects.filter(pk__in=[first.pk, second.pk], revoked_at__isnull=False).exists()

    response = owner_client.post(
        CHANGELIST, {"action": "revoke_selected", "_selected_action": selected, "confirmed": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert "Revoked 2 share links. 1 already revoked, left as they were." in response.content.decode()
    assert api_status(client, first.raw_token) == 404
    assert api_status(client, second.raw_token) == 404
    assert api_status(client, untouched.raw_token) == 200
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 2


def test_extend_expiry_by_30_days_only_touches_working_tokens_with_an_expiry(owner_client, owned_site):
    expiry = timezone.now() + dt.timedelta(days=3)
    extendable = ShareTokenFactory(site=owned_site, expires_at=expiry)
    never = ShareTokenFactory(site=owned_site)
    expired = ShareTokenFactory(site=owned_site, expired=True)
    revoked = ShareTokenFactory(site=owned_site, revoked=True, expires_at=expiry)
    selected = [extendable.pk, never.pk, expired.pk, revoked.pk]

    response = owner_client.post(CHANGELIST, {"action": "extend_expiry", "_selected_action": selected}, follow=True)

    assert response.status_code == 200
    assert (
        '<li class="success">Extended the expiry of 1 share link by 30 days. 1 link never expires, left as is. '
        "Skipped 2 expired, revoked or replaced: those cannot be extended.</li>"
    ) in response.content.decode()
    assert ShareToken.objects.get(pk=extendable.pk).expires_at == expiry + dt.timedelta(days=30)
    assert ShareToken.objects.get(pk=never.pk).expires_at is None
    assert ShareToken.objects.get(pk=expired.pk).expires_at == expired.expires_at
    assert ShareToken.objects.get(pk=revoked.pk).expires_at == expiry
    assert LogEntry.objects.get().change_message.startswith("Expiry extended by 30 days, from ")


def test_extending_no_qualifying_link_is_a_warning_not_a_success(owner_client, owned_site):
    never = ShareTokenFactory(site=owned_site)
    expired = ShareTokenFactory(site=owned_site, expired=True)

    response = owner_client.post(
        CHANGELIST, {"action": "extend_expiry", "_selected_action": [never.pk, expired.pk]}, follow=True
    )

    body = response.content.decode()
    assert (
        '<li class="warning">Extended the expiry of 0 share links by 30 days. 1 link never expires, left as is. '
        "Skipped 1 expired, revoked or replaced: those cannot be extended.</li>"
    ) in body
    assert 'class="success"' not in body
    assert not LogEntry.objects.exists()


def test_actions_need_change_permission(client, owned_site):
    viewer = create_site_owner(username="viewer", email="viewer@example.com", password="a long enough password")
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_sharetoken"))
    SiteMembership.objects.create(site=owned_site, user=viewer, role=SiteRole.OWNER)
    share_token = ShareTokenFactory(site=owned_site)
    client.force_login(viewer)

    listing = client.get(CHANGELIST).content.decode()
    revoke = client.post(f"/admin/sharing/sharetoken/{share_token.pk}/revoke/")

    assert "revoke_selected" not in listing
    assert revoke.status_code == 403
    assert ShareToken.objects.get(pk=share_token.pk).revoked_at is None
