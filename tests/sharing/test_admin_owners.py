"""The "Site owners" group and the command that creates site owners."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from sharing.owners import SITE_OWNERS_GROUP

OWNER_PERMISSIONS = [
    ("analytics", "add_site"),
    ("analytics", "change_site"),
    ("analytics", "change_sitemembership"),
    ("analytics", "delete_site"),
    ("analytics", "delete_sitemembership"),
    ("analytics", "view_memberevent"),
    ("analytics", "view_site"),
    ("analytics", "view_sitemembership"),
    ("sharing", "add_sharetoken"),
    ("sharing", "change_sharetoken"),
    ("sharing", "view_sharetoken"),
    ("teams", "add_invitation"),
    ("teams", "view_invitation"),
]


@pytest.mark.django_db
def test_site_owners_group_has_exactly_the_permissions_an_owner_needs():
    group = Group.objects.get(name=SITE_OWNERS_GROUP)

    assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == OWNER_PERMISSIONS


@pytest.mark.django_db
def test_create_site_owner_makes_a_staff_user_in_the_group_who_can_log_in(client, capsys, settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"
    call_command("create_site_owner", "olivia", "--email", "olivia@example.com", "--password", "a long enough password")

    user = get_user_model().objects.get(username="olivia")
    out = capsys.readouterr().out
    assert out == "Created site owner 'olivia'. They can log in at https://stats.example.net/admin/\n"
    assert (user.email, user.is_staff, user.is_superuser) == ("olivia@example.com", True, False)
    assert list(user.groups.values_list("name", flat=True)) == [SITE_OWNERS_GROUP]
    assert client.login(username="olivia", password="a long enough password")
    index = client.get("/admin/").content.decode()
    assert "Share links" in index
    assert "Sites" in index
    assert "Users" not in index


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "short"], "This password is too short"),
        ([], "Pass --password, or run the command in a terminal"),
    ],
)
def test_create_site_owner_refuses_weak_or_missing_passwords(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_site_owner", "olivia", "--email", "olivia@example.com", *args)

    assert not get_user_model().objects.filter(username="olivia").exists()


def test_create_site_owner_refuses_a_taken_username(user):
    with pytest.raises(CommandError, match=f"A user named '{user.username}' already exists."):
        call_command("create_site_owner", user.username, "--email", "x@example.com", "--password", "long enough pass")


@pytest.mark.django_db
def test_site_owners_group_is_recreated_with_its_permissions_if_it_went_missing():
    Group.objects.filter(name=SITE_OWNERS_GROUP).delete()

    call_command("create_site_owner", "olivia", "--email", "olivia@example.com", "--password", "a long enough password")

    group = Group.objects.get(name=SITE_OWNERS_GROUP)
    assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == OWNER_PERMISSIONS
    assert get_user_model().objects.get(username="olivia").groups.get() == group
