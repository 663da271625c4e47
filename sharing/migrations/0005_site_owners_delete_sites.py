"""Site owners may delete their own sites (with their data and share links); the admin scopes it to their own."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Site owners"


def add_delete_site(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("analytics"), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.using(alias).get(content_type__app_label="analytics", codename="delete_site")
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.add(permission)


def remove_delete_site(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.using(alias).filter(content_type__app_label="analytics", codename="delete_site")
    for group in Group.objects.using(alias).filter(name=GROUP_NAME):
        group.permissions.remove(*permission)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0004_sharetoken_replaced_by")]

    operations = [migrations.RunPython(add_delete_site, remove_delete_site)]
