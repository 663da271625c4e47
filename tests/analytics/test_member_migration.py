"""Migration analytics.0150: every site that had an owner gets that owner as its first member, as owner."""

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from analytics.models import SiteMembership
from tests.factories import SiteFactory, UserFactory

migration = importlib.import_module("analytics.migrations.0150_site_members")


def test_each_sites_owner_becomes_its_owner_member(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    first, second = SiteFactory(owner=alice), SiteFactory(owner=bob)
    orphan = SiteFactory(owner=None)
    SiteMembership.objects.all().delete()

    # The data step only asks the schema editor for its connection (SQLite refuses a real one inside a test's
    # transaction).
    migration.owners_become_members(apps, SimpleNamespace(connection=connection))

    assert sorted(SiteMembership.objects.values_list("site_id", "user__username", "role")) == sorted(
        [(first.pk, "alice", "owner"), (second.pk, "bob", "owner")]
    )
    assert not SiteMembership.objects.filter(site=orphan).exists()
