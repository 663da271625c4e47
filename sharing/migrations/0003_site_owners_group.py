"""The "Site owners" group: exactly what a staff user needs to manage their own sites and share links.

Scoping to their own objects is the admin's job; these permissions only open the pages.
Permissions are normally created after all migrations run, so they are created here first.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Site owners"
PERMISSIONS = [
    ("analytics", "add_site"),
    ("analytics", "change_site"),
    ("analytics", "view_site"),
    ("sharing", "add_sharetoken"),
    ("sharing", "change_sharetoken"),
    ("sharing", "view_sharetoken"),
]


def create_group(apps, schema_editor):
    alias = schema_editor.connection.alias
    for app_label in ("analytics", "sharing"):
        create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(alias).get_or_create(name=GROUP_NAME)
    wanted = [
        Permission.objects.using(alias).get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sharing", "0002_share_link_names"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
