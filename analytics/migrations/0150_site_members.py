"""Sites get members with roles; every existing site's owner becomes its first member, as owner."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def owners_become_members(apps, schema_editor):
    alias = schema_editor.connection.alias
    Site = apps.get_model("analytics", "Site")
    SiteMembership = apps.get_model("analytics", "SiteMembership")
    SiteMembership.objects.using(alias).bulk_create(
        [
            SiteMembership(site_id=site_id, user_id=owner_id, role="owner")
            for site_id, owner_id in Site.objects.using(alias).filter(owner__isnull=False).values_list("pk", "owner_id")
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0140_pass_lease"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="site",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="created_sites",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.CreateModel(
            name="MemberEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("invited", "Invited"),
                            ("invitation_revoked", "Revoked an invitation"),
                            ("accepted", "Accepted an invitation"),
                            ("role_changed", "Changed a role"),
                            ("removed", "Removed"),
                        ],
                        max_length=20,
                    ),
                ),
                ("actor", models.CharField(help_text="Who did it.", max_length=254)),
                (
                    "subject",
                    models.CharField(help_text="Whom it was done to: a username or an email address.", max_length=254),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[("owner", "Owner"), ("manager", "Manager"), ("viewer", "Viewer")],
                        help_text="The role after it.",
                        max_length=10,
                    ),
                ),
                ("at", models.DateTimeField()),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="member_events", to="analytics.site"
                    ),
                ),
            ],
            options={
                "verbose_name": "member history entry",
                "verbose_name_plural": "member history",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="SiteMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[("owner", "Owner"), ("manager", "Manager"), ("viewer", "Viewer")], max_length=10
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="analytics.site"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="site_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "member",
                "ordering": ["site", "role", "user"],
                "indexes": [models.Index(fields=["user", "role"], name="membership_user_role")],
                "constraints": [
                    models.UniqueConstraint(fields=("site", "user"), name="one_membership_per_site_and_user")
                ],
            },
        ),
        migrations.RunPython(owners_become_members, migrations.RunPython.noop),
    ]
