"""Every admin URL of a site, tried as its owner, manager and viewer and as a stranger who owns another site.

404 where the user may not see the object at all (as for a missing id), 403 where they see it
but their role does not allow the action, and nothing changes after a refusal.
"""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from analytics.models import MemberEvent, Site, SiteMembership, SitePermission, SiteRole
from sharing.models import ShareToken
from sharing.owners import create_site_owner
from teams.invitations import invite_member
from teams.models import Invitation
from tests.factories import ShareTokenFactory, SiteFactory

PASSWORD = "a long enough password"
NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
ROLES = ["owner", "manager", "viewer", "stranger"]


@pytest.fixture
def team(db):
    """team.example with one member of each role, and a stranger who owns only elsewhere.example."""
    people = {name: create_site_owner(username=name, email=f"{name}@example.com", password=PASSWORD) for name in ROLES}
    site = SiteFactory(owner=people["owner"], domain="team.example", nickname="Team site")
    SiteMembership.objects.create(site=site, user=people["manager"], role=SiteRole.MANAGER)
    SiteMembership.objects.create(site=site, user=people["viewer"], role=SiteRole.VIEWER)
    SiteFactory(owner=people["stranger"], domain="elsewhere.example")
    token = ShareTokenFactory(site=site, label="Board report", expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    invite_member(site=site, email="new@example.com", role=SiteRole.VIEWER, invited_by=people["owner"], now=NOW)
    MemberEvent.objects.all().delete()
    return {"people": people, "site": site, "token": token}


def client_of(team: dict, role: str) -> Client:
    client = Client()
    client.force_login(team["people"][role])
    return client


def url_of(template: str, team: dict) -> str:
    membership = SiteMembership.objects.get(site=team["site"], user=team["people"]["viewer"])
    invitation = Invitation.objects.filter(site=team["site"]).values_list("pk", flat=True).first()
    return template.format(site=team["site"].pk, token=team["token"].pk, member=membership.pk, invitation=invitation)


# (URL, expected status for owner, manager, viewer, stranger)
GET_PAGES = [
    ("/admin/analytics/site/{site}/change/", 200, 200, 200, 404),
    ("/admin/analytics/site/{site}/history/", 200, 200, 200, 404),
    ("/admin/analytics/site/{site}/delete/", 200, 403, 403, 404),
    ("/admin/analytics/site/{site}/dashboard/", 200, 200, 200, 404),
    ("/admin/analytics/site/{site}/setup-check/", 200, 200, 200, 404),
    ("/admin/sharing/sharetoken/{token}/change/", 200, 200, 200, 404),
    ("/admin/sharing/sharetoken/{token}/history/", 200, 200, 200, 404),
    ("/admin/sharing/sharetoken/{token}/delete/", 403, 403, 403, 404),
    ("/admin/sharing/sharetoken/{token}/revoke/", 200, 200, 403, 404),
    ("/admin/sharing/sharetoken/{token}/rotate/", 200, 200, 403, 404),
    ("/admin/sharing/sharetoken/{token}/issued/not-a-handoff/", 200, 200, 403, 404),
    ("/admin/sharing/sharetoken/add/?site={site}", 200, 200, 403, 200),
    ("/admin/analytics/sitemembership/{member}/change/", 200, 404, 404, 404),
    ("/admin/analytics/sitemembership/{member}/history/", 200, 404, 404, 404),
    ("/admin/analytics/sitemembership/{member}/delete/", 200, 404, 404, 404),
    ("/admin/analytics/site/add/", 200, 200, 200, 200),
    ("/admin/teams/invitation/add/?site={site}", 200, 403, 403, 200),
    ("/admin/teams/invitation/{invitation}/change/", 200, 404, 404, 404),
    ("/admin/teams/invitation/{invitation}/history/", 200, 404, 404, 404),
    ("/admin/teams/invitation/{invitation}/delete/", 403, 404, 404, 404),
]


@pytest.mark.parametrize("role_index", range(4), ids=ROLES)
@pytest.mark.parametrize("page", GET_PAGES, ids=[page[0] for page in GET_PAGES])
def test_every_page_answers_each_role_as_its_rights_say(team, page, role_index):
    template, *expected = page

    response = client_of(team, ROLES[role_index]).get(url_of(template, team))

    assert response.status_code == expected[role_index]
    if expected[role_index] == 404:
        assert "team.example" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_the_site_and_its_links_to_members_only(team, role):
    client = client_of(team, role)

    sites = client.get("/admin/analytics/site/").content.decode()
    links = client.get("/admin/sharing/sharetoken/").content.decode()

    member = role != "stranger"
    assert ("team.example" in sites) is member
    assert ("Board report" in links) is member


@pytest.mark.parametrize("role", ROLES)
def test_only_owners_see_the_people_of_a_site(team, role):
    client = client_of(team, role)

    sites = client.get("/admin/analytics/site/").content.decode()
    members = client.get("/admin/analytics/sitemembership/").content.decode()
    history = client.get("/admin/analytics/memberevent/")

    owner = role == "owner"
    assert ("viewer (Viewer)" in sites) is owner
    assert ("manager (Manager)" in sites) is owner
    assert (f'href="/admin/teams/invitation/add/?site={team["site"].pk}">Invite someone</a>' in sites) is owner
    assert ("team.example" in members) is owner
    assert history.status_code == 200


POSTS = [
    # (URL, form, expected status for owner, manager, viewer, stranger)
    ("/admin/analytics/site/{site}/change/", {"domain": "renamed.example", "timezone": "UTC"}, 302, 302, 403, 404),
    ("/admin/analytics/site/{site}/delete/", {"post": "yes"}, 302, 403, 403, 404),
    ("/admin/sharing/sharetoken/{token}/change/", {"label": "Renamed"}, 302, 302, 403, 404),
    ("/admin/sharing/sharetoken/{token}/revoke/", {}, 302, 302, 403, 404),
    ("/admin/sharing/sharetoken/{token}/rotate/", {"grace": "0"}, 302, 302, 403, 404),
    ("/admin/sharing/sharetoken/add/", {"site": "{site}", "label": "New"}, 302, 302, 403, 200),
    ("/admin/analytics/sitemembership/{member}/change/", {"role": "manager"}, 302, 404, 404, 404),
    ("/admin/analytics/sitemembership/{member}/delete/", {"post": "yes"}, 302, 404, 404, 404),
]


def state(team: dict) -> tuple:
    site = Site.objects.filter(pk=team["site"].pk).values_list("domain", flat=True).first()
    token = ShareToken.objects.filter(pk=team["token"].pk).values_list("label", "revoked_at").first()
    roles = sorted(SiteMembership.objects.filter(site=team["site"]).values_list("user__username", "role"))
    return site, token, ShareToken.objects.count(), roles


UNTOUCHED = (
    "team.example",
    ("Board report", None),
    1,
    [("manager", "manager"), ("owner", "owner"), ("viewer", "viewer")],
)


@pytest.mark.parametrize("role_index", range(4), ids=ROLES)
@pytest.mark.parametrize("post", POSTS, ids=[post[0] for post in POSTS])
def test_every_write_is_refused_to_roles_without_the_right_and_changes_nothing(team, post, role_index):
    template, form, *expected = post
    data = {
        "expires_at_0": "",
        "expires_at_1": "",
        **{key: url_of(value, team) for key, value in form.items()},
    }

    response = client_of(team, ROLES[role_index]).post(url_of(template, team), data)

    assert response.status_code == expected[role_index]
    if expected[role_index] != 302:
        assert state(team) == UNTOUCHED
        assert not LogEntry.objects.exists()
    else:
        assert state(team) != UNTOUCHED


@pytest.mark.parametrize("role", ["viewer", "stranger"])
@pytest.mark.parametrize("action", ["revoke_selected", "extend_expiry"])
def test_bulk_link_actions_skip_links_the_user_only_views(team, role, action):
    response = client_of(team, role).post(
        "/admin/sharing/sharetoken/",
        {"action": action, "_selected_action": [team["token"].pk], "confirmed": "yes", "index": "0"},
    )

    assert response.status_code in (200, 302)
    assert state(team) == UNTOUCHED
    assert ShareToken.objects.get().expires_at == dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def test_a_manager_revokes_links_in_bulk(team):
    response = client_of(team, "manager").post(
        "/admin/sharing/sharetoken/",
        {"action": "revoke_selected", "_selected_action": [team["token"].pk], "confirmed": "yes", "index": "0"},
    )

    assert response.status_code == 302
    assert ShareToken.objects.get().revoked_at is not None


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_bulk_delete_of_sites_leaves_sites_the_user_does_not_own(team, role):
    client_of(team, role).post(
        "/admin/analytics/site/",
        {"action": "delete_selected", "_selected_action": [team["site"].pk], "post": "yes", "index": "0"},
    )

    assert Site.objects.filter(pk=team["site"].pk).exists()


def test_the_viewers_link_page_is_read_only_and_offers_no_rotate_or_revoke(team):
    page = client_of(team, "viewer").get(url_of("/admin/sharing/sharetoken/{token}/change/", team)).content.decode()

    assert "Board report" in page
    assert 'name="label"' not in page
    assert "/rotate/" not in page
    assert "/revoke/" not in page


def test_the_last_owner_cannot_leave_or_be_demoted(team):
    owner = SiteMembership.objects.get(site=team["site"], role=SiteRole.OWNER)
    client = client_of(team, "owner")

    demoted = client.post(f"/admin/analytics/sitemembership/{owner.pk}/change/", {"role": "viewer"}, follow=True)
    removed = client.post(f"/admin/analytics/sitemembership/{owner.pk}/delete/", {"post": "yes"}, follow=True)

    assert "A site needs at least one owner" in demoted.content.decode()
    assert "A site needs at least one owner" in removed.content.decode()
    assert state(team) == UNTOUCHED
    assert not MemberEvent.objects.exists()


def test_an_owner_changing_a_role_is_recorded_in_the_history(team):
    viewer = SiteMembership.objects.get(site=team["site"], role=SiteRole.VIEWER)

    response = client_of(team, "owner").post(
        f"/admin/analytics/sitemembership/{viewer.pk}/change/", {"role": "manager"}
    )

    assert response.status_code == 302
    event = MemberEvent.objects.get()
    assert (event.actor, event.kind, event.subject, event.role) == ("owner", "role_changed", "viewer", "manager")
    assert Site.objects.visible_to(team["people"]["viewer"], SitePermission.MANAGE_LINKS).get() == team["site"]


@pytest.mark.parametrize(("role", "has_button"), [("owner", True), ("manager", True), ("viewer", False)])
def test_only_those_who_manage_links_get_the_create_a_link_button(team, role, has_button):
    client = client_of(team, role)

    dashboard = client.get(url_of("/admin/analytics/site/{site}/dashboard/", team)).content.decode()
    sites = client.get("/admin/analytics/site/").content.decode()

    assert ('id="new-share-link"' in dashboard) is has_button
    assert ("Create one</a>" in sites) is has_button
    assert "View share links</a>" in sites


@pytest.mark.parametrize(("role", "sees_people"), [("owner", True), ("manager", False), ("viewer", False)])
def test_the_dashboard_shows_the_sites_people_to_its_owners_only(team, role, sees_people):
    dashboard = client_of(team, role).get(url_of("/admin/analytics/site/{site}/dashboard/", team)).content.decode()

    assert ('id="site-people"' in dashboard) is sees_people
    assert ("owner (Owner), manager (Manager), viewer (Viewer)" in dashboard) is sees_people
