"""`analytics.members`: a site keeps an owner whatever is changed, and each change is in its history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analytics.members import add_site_member, change_member_role, remove_site_member
from analytics.models import MemberEvent, Site, SiteMembership, SitePermission, SiteRole
from tests.factories import SiteFactory, UserFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def site(db):
    return SiteFactory(owner=UserFactory(username="olivia"), domain="team.example")


def roles(site: Site) -> list[tuple[str, str]]:
    return sorted(SiteMembership.objects.filter(site=site).values_list("user__username", "role"))


def test_whoever_creates_a_site_is_its_first_owner(site):
    assert roles(site) == [("olivia", "owner")]


def test_adding_a_member_twice_keeps_the_higher_role(site):
    mia = UserFactory(username="mia")

    add_site_member(site=site, user=mia, role=SiteRole.MANAGER, actor=None, now=NOW)
    add_site_member(site=site, user=mia, role=SiteRole.VIEWER, actor=None, now=NOW)

    assert roles(site) == [("mia", "manager"), ("olivia", "owner")]


def test_the_last_owner_can_be_neither_demoted_nor_removed(site):
    owner = SiteMembership.objects.get(site=site)

    with pytest.raises(ValidationError, match="at least one owner"):
        change_member_role(owner, role=SiteRole.MANAGER, actor=None, now=NOW)
    with pytest.raises(ValidationError, match="at least one owner"):
        remove_site_member(owner, actor=None, now=NOW)

    assert roles(site) == [("olivia", "owner")]
    assert not MemberEvent.objects.exists()


def test_an_owner_may_step_down_once_another_owner_exists(site):
    actor = UserFactory(username="oscar")
    add_site_member(site=site, user=actor, role=SiteRole.OWNER, actor=None, now=NOW)
    olivia = SiteMembership.objects.get(site=site, user__username="olivia")

    changed = change_member_role(olivia, role=SiteRole.VIEWER, actor=actor, now=NOW)
    remove_site_member(olivia, actor=actor, now=NOW)

    assert changed is True
    assert roles(site) == [("oscar", "owner")]
    history = list(MemberEvent.objects.order_by("pk").values_list("actor", "kind", "subject", "role"))
    assert history == [("oscar", "role_changed", "olivia", "viewer"), ("oscar", "removed", "olivia", "")]


def test_an_unchanged_role_is_not_recorded(site):
    owner = SiteMembership.objects.get(site=site)

    assert change_member_role(owner, role=SiteRole.OWNER, actor=None, now=NOW) is False
    assert not MemberEvent.objects.exists()


def test_an_unknown_role_is_refused(site):
    with pytest.raises(ValidationError):
        add_site_member(site=site, user=UserFactory(), role="admin", actor=None, now=NOW)


@pytest.mark.parametrize(
    ("role", "permissions"),
    [
        ("owner", {"view", "manage_links", "change_site", "manage_members", "delete_site"}),
        ("manager", {"view", "manage_links", "change_site"}),
        ("viewer", {"view"}),
    ],
)
def test_each_role_reaches_its_site_for_exactly_its_permissions(site, role, permissions):
    member = UserFactory()
    SiteMembership.objects.create(site=site, user=member, role=role)

    reached = {permission for permission in SitePermission.values if Site.objects.visible_to(member, permission)}

    assert reached == permissions


def test_an_inactive_member_reaches_nothing(site):
    member = UserFactory(is_active=False)
    SiteMembership.objects.create(site=site, user=member, role=SiteRole.OWNER)

    assert not Site.objects.visible_to(member).exists()


def test_an_unknown_permission_is_a_programming_error(site):
    with pytest.raises(ValueError, match="Unknown site permission"):
        Site.objects.visible_to(UserFactory(), "delete_everything")


def test_deleting_the_creators_account_leaves_the_site_to_its_other_members(site):
    mia = UserFactory(username="mia")
    add_site_member(site=site, user=mia, role=SiteRole.OWNER, actor=None, now=NOW)

    site.owner.delete()

    assert Site.objects.visible_to(mia, SitePermission.DELETE_SITE).get() == site
