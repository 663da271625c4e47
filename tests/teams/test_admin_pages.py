"""Every admin page of members, history, invitations and the outbox opens for a superuser."""

import datetime as dt

import pytest

from analytics.members import change_member_role
from analytics.models import MemberEvent, SiteMembership, SiteRole
from teams.invitations import invite_member
from teams.models import Invitation, OutboxEmail
from tests.factories import SiteFactory, UserFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def filled(db):
    owner = UserFactory(username="olivia")
    site = SiteFactory(owner=owner, domain="team.example")
    SiteMembership.objects.create(site=site, user=UserFactory(username="mia"), role=SiteRole.VIEWER)
    change_member_role(SiteMembership.objects.get(user__username="mia"), role=SiteRole.MANAGER, actor=owner, now=NOW)
    invite_member(site=site, email="vic@example.com", role=SiteRole.VIEWER, invited_by=owner, now=NOW)
    return site


@pytest.mark.parametrize(
    ("url", "shows"),
    [
        ("/admin/analytics/sitemembership/", "team.example"),
        ("/admin/analytics/sitemembership/add/", 'name="role"'),
        ("/admin/analytics/sitemembership/{member}/change/", "team.example"),
        ("/admin/analytics/memberevent/", "Changed a role"),
        ("/admin/analytics/memberevent/{event}/change/", "team.example"),
        ("/admin/teams/invitation/", "vic@example.com"),
        ("/admin/teams/invitation/add/", 'name="email"'),
        ("/admin/teams/invitation/{invitation}/change/", "vic@example.com"),
        ("/admin/teams/outboxemail/", "Waiting"),
        ("/admin/teams/outboxemail/{email}/change/", "vic@example.com"),
    ],
)
def test_the_page_opens_for_a_superuser(admin_client, filled, url, shows):
    ids = {
        "member": SiteMembership.objects.get(user__username="mia").pk,
        "event": MemberEvent.objects.first().pk,
        "invitation": Invitation.objects.get().pk,
        "email": OutboxEmail.objects.get().pk,
    }

    response = admin_client.get(url.format(**ids))

    assert response.status_code == 200
    assert shows in response.content.decode()
