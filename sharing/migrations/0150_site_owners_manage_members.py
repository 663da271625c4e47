"""The "Site owners" group may see, change and remove site members and read their history.

Django's permissions only open the pages; `Site.objects.visible_to(user, "manage_members")`
shows each user the people of the sites they own and nothing else.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Site owners"
CODENAMES = ("view_sitemembership", "change_sitemembership", "delete_sitemembership", "view_memberevent")


def add_member_permissions(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("analytics"), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(alias).filter(content_type__app_label="analytics", codename__in=CODENAMES)
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.add(*permissions)


def remove_member_permissions(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(alias).filter(content_type__app_label="analytics", codename__in=CODENAMES)
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0130_share_link_language"), ("analytics", "0150_site_members")]

    operations = [migrations.RunPython(add_member_permissions, remove_member_permissions)]
