import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.models import VisitorSalt
from analytics.salts import (
    SaltUnavailable,
    copy_expires_at,
    earliest_live_date,
    forget_held_salts,
    prune_salts,
    salt_for,
)
from tests.outages import database_down, private_queue

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)


def days(*numbers):
    return [dt.date(2026, 3, number) for number in numbers]


def stored_days():
    return list(VisitorSalt.objects.order_by("day").values_list("day", flat=True))


def make_salts(*numbers):
    for day in days(*numbers):
        VisitorSalt.objects.create(day=day, value=f"{day:%Y%m%d}".ljust(64, "0"))


def test_a_dates_salt_is_random_created_once_and_then_reused():
    first = salt_for(day=dt.date(2026, 3, 18), now=NOON)
    again = salt_for(day=dt.date(2026, 3, 18), now=NOON)
    next_day = salt_for(day=dt.date(2026, 3, 19), now=NOON)

    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert again == first
    assert next_day != first
    assert stored_days() == days(18, 19)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 3, 18, 11, 59, 59, tzinfo=dt.UTC), dt.date(2026, 3, 17)),
        (dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC), dt.date(2026, 3, 18)),
        # 09:30 UTC: Kiritimati (UTC+14) is on the 19th already, Baker Island (UTC-12) still on the 17th.
        (dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC), dt.date(2026, 3, 17)),
    ],
)
def test_a_date_is_live_until_the_last_time_zone_utc_minus_12_leaves_it(now, expected):
    assert earliest_live_date(now=now) == expected


def test_pruning_deletes_salts_of_dates_no_site_is_on_any_more():
    make_salts(15, 16, 17, 18, 19)

    assert prune_salts(now=dt.datetime(2026, 3, 18, 11, 59, tzinfo=dt.UTC)) == 2
    assert stored_days() == days(17, 18, 19)
    assert prune_salts(now=NOON) == 1
    assert stored_days() == days(18, 19)


def test_creating_a_new_dates_salt_prunes_stale_ones_but_reading_one_does_not():
    make_salts(10, 18)

    salt_for(day=dt.date(2026, 3, 18), now=NOON)
    assert stored_days() == days(10, 18)

    salt_for(day=dt.date(2026, 3, 19), now=NOON)
    assert stored_days() == days(18, 19)


def test_prune_salts_command_keeps_only_live_dates(capsys):
    today = timezone.now().date()
    VisitorSalt.objects.create(day=today - dt.timedelta(days=5), value="a" * 64)
    VisitorSalt.objects.create(day=today - dt.timedelta(days=3), value="b" * 64)
    VisitorSalt.objects.create(day=today, value="c" * 64)

    call_command("prune_salts")

    assert list(VisitorSalt.objects.values_list("day", flat=True)) == [today]
    assert capsys.readouterr().out.startswith("Deleted 2 salt(s) of dates before ")


@pytest.fixture
def queue(tmp_path):
    yield from private_queue(tmp_path)


def test_a_date_beginning_while_the_database_is_away_gets_one_salt_every_process_agrees_on(queue):
    now = timezone.now()
    today = now.date()

    with database_down():
        first = salt_for(day=today, now=now)
        forget_held_salts()  # another process
        second = salt_for(day=today, now=now)
    forget_held_salts()
    after = salt_for(day=today, now=now)

    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert second == first
    assert after == first
    assert VisitorSalt.objects.get(day=today).value == first


def test_a_process_started_while_the_database_is_away_takes_the_stored_salt_from_the_copy(queue):
    now = timezone.now()
    stored = salt_for(day=now.date(), now=now)
    forget_held_salts()

    with database_down():
        copied = salt_for(day=now.date(), now=now)

    assert copied == stored


def test_without_database_or_copy_there_is_no_salt_and_the_event_is_refused():
    now = timezone.now()

    with database_down(), pytest.raises(SaltUnavailable):
        salt_for(day=now.date(), now=now)


def test_the_copy_expires_when_no_site_can_be_on_its_date_any_more():
    assert copy_expires_at(dt.date(2026, 3, 18)) == dt.datetime(2026, 3, 19, 12, 0, tzinfo=dt.UTC)
    assert earliest_live_date(now=dt.datetime(2026, 3, 19, 11, 59, tzinfo=dt.UTC)) == dt.date(2026, 3, 18)
    assert earliest_live_date(now=dt.datetime(2026, 3, 19, 12, 0, tzinfo=dt.UTC)) == dt.date(2026, 3, 19)
