"""The "Site owners" group may invite people and see invitations; each sees those of the sites they own."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Site owners"
CODENAMES = ("add_invitation", "view_invitation")


def add_invitation_permissions(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("teams"), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(alias).filter(content_type__app_label="teams", codename__in=CODENAMES)
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.add(*permissions)


def remove_invitation_permissions(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(alias).filter(content_type__app_label="teams", codename__in=CODENAMES)
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial"), ("sharing", "0003_site_owners_group")]

    operations = [migrations.RunPython(add_invitation_permissions, remove_invitation_permissions)]
