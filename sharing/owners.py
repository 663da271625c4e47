"""Site owners: staff users who work only on the sites they are members of, as their role there allows."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q

SITE_OWNERS_GROUP = "Site owners"
# The same list as migrations sharing.0003, which creates the group, sharing.0005, sharing.0150 and teams.0002.
# They open the admin pages; each user's role on each site (`Site.objects.visible_to`) decides what they find there.
SITE_OWNER_PERMISSIONS = (
    ("analytics", "view_sitemembership"),
    ("analytics", "change_sitemembership"),
    ("analytics", "delete_sitemembership"),
    ("analytics", "view_memberevent"),
    ("analytics", "add_site"),
    ("analytics", "change_site"),
    ("analytics", "delete_site"),
    ("analytics", "view_site"),
    ("sharing", "add_sharetoken"),
    ("sharing", "change_sharetoken"),
    ("sharing", "view_sharetoken"),
    ("teams", "add_invitation"),
    ("teams", "view_invitation"),
)


def site_owners_group() -> Group:
    """The group made by the migration, recreated if something (a test database flush) removed it."""
    group, created = Group.objects.get_or_create(name=SITE_OWNERS_GROUP)
    if created:
        wanted = Q()
        for app_label, codename in SITE_OWNER_PERMISSIONS:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group


@transaction.atomic
def create_site_owner(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """A staff user in the "Site owners" group.

    Raises ValueError for a taken username and django's ValidationError for a weak password.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValueError(f"A user named {username!r} already exists.")
    user = user_model(username=username, email=user_model.objects.normalize_email(email), is_staff=True)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    user.groups.add(site_owners_group())
    return user
