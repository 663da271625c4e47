"""Leases that let a periodic pass run on several machines while only one of them does each pass.

A lease row names its holder and an expiry on the database's clock. Taking it is one UPDATE
that succeeds only when the lease is free, expired, or already this holder's, so two workers
can never both hold it; nothing outlives that statement, which keeps it safe behind a
transaction-pooling PgBouncer (a session advisory lock would not be). A holder killed mid-pass
leaves its lease to expire, after which another machine takes over.
"""

import datetime as dt

from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now

from analytics.models import PassLease

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def take_lease(*, name: str, holder: str, seconds: float) -> bool:
    """True when `holder` now holds the lease `name` for `seconds` (taken, or renewed when it held it already)."""
    expires_at = ExpressionWrapper(
        Now() + Value(dt.timedelta(seconds=seconds), output_field=DurationField()), output_field=DateTimeField()
    )
    with transaction.atomic():
        PassLease.objects.get_or_create(name=name, defaults={"expires_at": EPOCH})
        taken = (
            PassLease.objects.filter(name=name)
            .filter(Q(holder="") | Q(holder=holder) | Q(expires_at__lte=Now()))
            .update(holder=holder, expires_at=expires_at)
        )
    return taken == 1


def release_lease(*, name: str, holder: str) -> None:
    """Give the lease back at once, if `holder` still holds it (another may have taken an expired one)."""
    PassLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=Now())
