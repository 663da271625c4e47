"""Writes to a site's people: adding a member, changing a role, removing one, each recorded in `MemberEvent`.

Every change that could leave a site without an owner is refused here, under a lock on the
site's memberships, so two owners demoting each other at the same moment cannot both succeed.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analytics.models import MemberEvent, Site, SiteMembership, SiteRole


def record_member_event(
    *, site: Site, kind: str, actor: AbstractBaseUser | None, subject: str, role: str = "", now: dt.datetime
) -> MemberEvent:
    return MemberEvent.objects.create(
        site=site, kind=kind, actor=actor.get_username() if actor else "", subject=subject, role=role, at=now
    )


def locked_memberships(site: Site) -> list[SiteMembership]:
    """The site's memberships, locked until the transaction ends (PostgreSQL; SQLite writes one at a time)."""
    return list(SiteMembership.objects.select_for_update().filter(site=site).order_by("pk"))


def refuse_last_owner(memberships: list[SiteMembership], *, leaving: SiteMembership) -> None:
    owners = [member for member in memberships if member.role == SiteRole.OWNER]
    if leaving.role == SiteRole.OWNER and [member.pk for member in owners] == [leaving.pk]:
        raise ValidationError(_("A site needs at least one owner: make someone else owner first."))


@transaction.atomic
def add_site_member(
    *, site: Site, user: AbstractBaseUser, role: str, actor: AbstractBaseUser | None, now: dt.datetime
) -> SiteMembership:
    """Gives `user` `role` on `site`; someone already a member keeps the higher of the two roles."""
    if role not in SiteRole.values:
        raise ValidationError(_("Unknown role."))
    memberships = locked_memberships(site)
    current = next((member for member in memberships if member.user_id == user.pk), None)
    order = list(SiteRole.values)
    if current is None:
        current = SiteMembership.objects.create(site=site, user=user, role=role)
    elif order.index(role) < order.index(current.role):
        current.role = role
        current.save(update_fields=["role"])
    return current


@transaction.atomic
def change_member_role(
    membership: SiteMembership, *, role: str, actor: AbstractBaseUser | None, now: dt.datetime
) -> bool:
    """False when the role was already `role`. Raises ValidationError when it would leave no owner."""
    if role not in SiteRole.values:
        raise ValidationError(_("Unknown role."))
    memberships = locked_memberships(membership.site)
    current = next((member for member in memberships if member.pk == membership.pk), None)
    if current is None:
        raise ValidationError(_("This person is no longer a member of the site."))
    if current.role == role:
        return False
    if role != SiteRole.OWNER:
        refuse_last_owner(memberships, leaving=current)
    current.role = role
    current.save(update_fields=["role"])
    membership.role = role
    record_member_event(
        site=membership.site,
        kind=MemberEvent.Kind.ROLE_CHANGED,
        actor=actor,
        subject=current.user.get_username(),
        role=role,
        now=now,
    )
    return True


@transaction.atomic
def remove_site_member(membership: SiteMembership, *, actor: AbstractBaseUser | None, now: dt.datetime) -> None:
    """Raises ValidationError when the member is the site's last owner. Their account stays."""
    memberships = locked_memberships(membership.site)
    current = next((member for member in memberships if member.pk == membership.pk), None)
    if current is None:
        return
    refuse_last_owner(memberships, leaving=current)
    current.delete()
    record_member_event(
        site=membership.site, kind=MemberEvent.Kind.REMOVED, actor=actor, subject=current.user.get_username(), now=now
    )
