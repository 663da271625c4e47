"""An owner invites by email; the invitee accepts once, within 7 days, as a new or an existing account."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from analytics.models import MemberEvent, Site, SiteMembership, SitePermission
from sharing.owners import create_site_owner
from teams.invitations import invite_member, revoke_invitation
from teams.models import Invitation, OutboxEmail
from teams.outbox import send_due_emails
from tests.factories import SiteFactory

PASSWORD = "a long enough password"
LINK = re.compile(r"http://testserver/invitations/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.GLIMPSE_BASE_URL = "http://testserver"


@pytest.fixture
def olivia(db):
    return create_site_owner(username="olivia", email="olivia@example.com", password=PASSWORD)


@pytest.fixture
def site(olivia):
    return SiteFactory(owner=olivia, domain="team.example", nickname="Team site")


@pytest.fixture
def olivia_client(olivia):
    client = Client()
    client.force_login(olivia)
    return client


def invite_through_admin(client: Client, site: Site, email: str, role: str):
    return client.post("/admin/teams/invitation/add/", {"site": site.pk, "email": email, "role": role})


def link_in_outbox() -> str:
    return LINK.search(OutboxEmail.objects.get().body).group(0)


def test_an_owner_invites_through_the_admin_and_the_email_arrives_at_the_smtp_server(
    olivia_client, site, smtp_settings, smtp_server
):
    response = invite_through_admin(olivia_client, site, "Mia@Example.com", "manager")
    sent, failed = send_due_emails(now=timezone.now())

    assert response.status_code == 302
    assert (sent, failed) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == "Mia@example.com"
    assert message["Subject"] == "You are invited to Team site on Glimpse"
    body = message.get_content()
    assert "olivia invited you to Team site (team.example) on Glimpse, as Manager." in body
    token = LINK.search(body).group(1)
    assert len(token) == 43
    outbox = OutboxEmail.objects.get()
    assert (outbox.attempts, outbox.body, outbox.last_error) == (1, "", "")
    assert outbox.sent_at is not None
    invitation = Invitation.objects.get()
    assert token not in invitation.digest
    assert (invitation.email, invitation.role, invitation.invited_by) == ("Mia@example.com", "manager", site.owner)
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)
    event = MemberEvent.objects.get()
    assert (event.actor, event.kind, event.subject, event.role) == ("olivia", "invited", "Mia@example.com", "manager")


def test_a_new_account_accepts_once_and_gets_exactly_its_role(olivia_client, site):
    invite_through_admin(olivia_client, site, "vic@example.com", "viewer")
    link = link_in_outbox()
    visitor = Client()

    page = visitor.get(link)
    accepted = visitor.post(link, {"username": "vic", "password1": PASSWORD, "password2": PASSWORD})
    again = Client().get(link)

    assert page.status_code == 200
    assert "olivia invited vic@example.com as <strong>Viewer</strong>." in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    assert page["Referrer-Policy"] == "same-origin"
    assert accepted.status_code == 302
    assert accepted["Location"] == "/admin/analytics/site/"
    vic = get_user_model().objects.get(username="vic")
    assert (vic.email, vic.is_staff, vic.is_superuser) == ("vic@example.com", True, False)
    assert list(Site.objects.visible_to(vic)) == [site]
    assert not Site.objects.visible_to(vic, SitePermission.MANAGE_LINKS).exists()
    assert again.status_code == 404
    assert "does not work" in again.content.decode()
    kinds = list(MemberEvent.objects.order_by("pk").values_list("actor", "kind", "subject", "role"))
    assert kinds == [
        ("olivia", "invited", "vic@example.com", "viewer"),
        ("vic", "accepted", "vic@example.com", "viewer"),
    ]
    # The new member lands in the admin, signed in.
    assert visitor.get("/admin/analytics/site/").status_code == 200


def test_an_existing_account_signs_in_then_accepts(olivia_client, site):
    mia = create_site_owner(username="mia", email="mia@example.com", password=PASSWORD)
    invite_through_admin(olivia_client, site, "mia@example.com", "manager")
    link = link_in_outbox()
    anonymous = Client().get(link).content.decode()
    signed_in = Client()
    signed_in.force_login(mia)

    accepted = signed_in.post(link)

    assert 'id="sign-in-to-accept"' in anonymous
    assert "/admin/login/?next=%2Finvitations%2F" in anonymous
    assert accepted.status_code == 302
    assert SiteMembership.objects.get(site=site, user=mia).role == "manager"


def test_another_signed_in_account_cannot_take_the_invitation(olivia_client, site):
    invite_through_admin(olivia_client, site, "mia@example.com", "manager")
    link = link_in_outbox()
    sam = create_site_owner(username="sam", email="sam@example.com", password=PASSWORD)
    client = Client()
    client.force_login(sam)

    page = client.get(link).content.decode()
    taken = client.post(link)

    assert "but this invitation is for mia@example.com" in page
    assert taken.status_code == 400
    assert not SiteMembership.objects.filter(user=sam, site=site).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_expired_or_revoked_link_is_the_same_404_as_an_unknown_one(olivia_client, olivia, site, settings):
    invite_through_admin(olivia_client, site, "mia@example.com", "manager")
    link = link_in_outbox()
    invitation = Invitation.objects.get()

    revoked = revoke_invitation(invitation, actor=olivia, now=timezone.now())
    after_revoke = Client().get(link)
    unknown = Client().get("/invitations/" + "x" * 43 + "/")
    too_long = Client().get("/invitations/" + "x" * 500 + "/")

    assert revoked is True
    assert after_revoke.status_code == unknown.status_code == too_long.status_code == 404
    assert after_revoke.content == unknown.content
    assert MemberEvent.objects.filter(kind="invitation_revoked", subject="mia@example.com").exists()


def test_a_link_older_than_seven_days_no_longer_works(olivia, site):
    sent_at = timezone.now() - dt.timedelta(days=7, seconds=1)
    sent = invite_member(site=site, email="mia@example.com", role="viewer", invited_by=olivia, now=sent_at)

    response = Client().get(sent.url.removeprefix("http://testserver"))

    assert response.status_code == 404


def test_inviting_a_member_or_someone_already_invited_is_refused_with_a_message(olivia_client, olivia, site):
    invite_through_admin(olivia_client, site, "mia@example.com", "manager")

    twice = olivia_client.post(
        "/admin/teams/invitation/add/", {"site": site.pk, "email": "MIA@example.com", "role": "viewer"}, follow=True
    )
    member = olivia_client.post(
        "/admin/teams/invitation/add/", {"site": site.pk, "email": "olivia@example.com", "role": "viewer"}, follow=True
    )

    assert "Already invited to team.example, and the invitation is still pending: MIA@example.com." in (
        twice.content.decode()
    )
    assert "Already a member of team.example: olivia@example.com." in member.content.decode()
    assert Invitation.objects.count() == 1
    assert OutboxEmail.objects.count() == 1
    with pytest.raises(ValidationError, match="Already a member"):
        invite_member(site=site, email="olivia@example.com", role="viewer", invited_by=olivia, now=timezone.now())


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_only_owners_invite_and_see_invitations(olivia_client, site, role):
    invite_through_admin(olivia_client, site, "pending@example.com", "viewer")
    member = create_site_owner(username=role, email=f"{role}@example.com", password=PASSWORD)
    SiteMembership.objects.create(site=site, user=member, role=role)
    client = Client()
    client.force_login(member)

    add_page = client.get("/admin/teams/invitation/add/")
    posted = invite_through_admin(client, site, "friend@example.com", "owner")
    listing = client.get("/admin/teams/invitation/").content.decode()
    detail = client.get(f"/admin/teams/invitation/{Invitation.objects.get().pk}/change/")

    assert add_page.status_code == posted.status_code == 403
    assert "pending@example.com" not in listing
    assert detail.status_code == 404
    assert Invitation.objects.count() == 1


def test_an_owner_of_another_site_cannot_invite_to_this_one(site):
    sam = create_site_owner(username="sam", email="sam@example.com", password=PASSWORD)
    SiteFactory(owner=sam, domain="sam.example")
    client = Client()
    client.force_login(sam)

    response = invite_through_admin(client, site, "friend@example.com", "owner")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_revoking_pending_invitations_in_bulk(olivia_client, site):
    invite_through_admin(olivia_client, site, "mia@example.com", "manager")
    invitation = Invitation.objects.get()

    response = olivia_client.post(
        "/admin/teams/invitation/",
        {"action": "revoke_selected", "_selected_action": [invitation.pk], "index": "0"},
        follow=True,
    )

    assert "Revoked 1 invitation(s)." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_invitation_links_are_rate_limited_per_client(olivia_client, site, settings):
    settings.INVITATION_RATE = "2/min"
    client = Client(REMOTE_ADDR="2001:db8::1")
    neighbour = Client(REMOTE_ADDR="2001:db8::ffff")
    elsewhere = Client(REMOTE_ADDR="2001:db8:1::1")

    statuses = [client.get("/invitations/nope/").status_code for _ in range(2)]
    same_64 = neighbour.get("/invitations/nope/")
    other_64 = elsewhere.get("/invitations/nope/")

    assert statuses == [404, 404]
    assert same_64.status_code == 429
    assert int(same_64["Retry-After"]) >= 1
    assert other_64.status_code == 404


def test_a_site_without_a_nickname_is_named_once_in_the_email(olivia):
    plain = SiteFactory(owner=olivia, domain="plain.example")

    invite_member(site=plain, email="mia@example.com", role="viewer", invited_by=olivia, now=timezone.now())

    assert "olivia invited you to plain.example on Glimpse, as Viewer." in OutboxEmail.objects.get().body
