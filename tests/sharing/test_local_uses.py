"""Uses noted in the serving process reach the database in batches, and none is lost on the way."""

import datetime as dt
import threading

from sharing import local_uses as local_uses_module
from sharing.local_uses import LocalUses, NotedUse, local_uses
from sharing.models import ShareToken
from sharing.usage import flush_token_usage, hand_over_local_uses, record_token_use
from tests.factories import ShareTokenFactory

NOON = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


def stored(share_token: ShareToken) -> tuple[int, dt.datetime | None]:
    return tuple(ShareToken.objects.values_list("use_count", "last_used_at").get(pk=share_token.pk))


def test_a_hand_over_is_due_at_first_then_a_second_after_the_last_or_when_the_clock_went_back():
    uses = LocalUses()

    due = [uses.note(7, now=at(second)) for second in (0.0, 0.4, 0.99)]
    uses.take(now=at(0.0))
    due += [uses.note(7, now=at(second)) for second in (0.5, 1.0)]
    uses.take(now=at(59.5))
    due += [uses.note(7, now=at(second)) for second in (59.9, 60.1, 60.5, 30.0)]

    assert due == [True, True, True, False, True, False, False, True, True]


def test_take_returns_counts_and_latest_time_per_token_and_starts_afresh():
    uses = LocalUses()
    for token_id, second in [(1, 5), (2, 6), (1, 3), (1, 4)]:
        uses.note(token_id, now=at(second))

    assert uses.take(now=at(7)) == {1: NotedUse(count=3, last_used_at=at(5)), 2: NotedUse(count=1, last_used_at=at(6))}
    assert uses.take(now=at(8)) == {}


def test_the_end_of_a_burst_is_handed_over_in_the_background_without_another_request(share_token, monkeypatch):
    monkeypatch.setattr(local_uses_module, "HAND_OVER_EVERY", dt.timedelta(milliseconds=50))
    monkeypatch.setattr(local_uses, "hand_over_in_background", True)
    taken: list[dict] = []
    done = threading.Event()

    def hand_over(*, now):
        taken.append(local_uses.take(now=now))
        done.set()

    monkeypatch.setattr("sharing.usage.hand_over_local_uses", hand_over)
    local_uses.take(now=at(1))

    record_token_use(share_token, now=at(1.01))
    record_token_use(share_token, now=at(1.02))

    assert done.wait(timeout=5)
    assert taken == [{share_token.pk: NotedUse(count=2, last_used_at=at(1.02))}]


def test_a_burst_within_one_second_is_counted_exactly_once_handed_over(share_token):
    for tenth in range(10):
        record_token_use(share_token, now=at(5 + tenth / 10))

    assert stored(share_token) == (1, at(5))
    assert hand_over_local_uses(now=at(6)) == 9
    assert flush_token_usage(now=at(6)) == 0
    assert stored(share_token) == (10, at(5.9))


def test_uses_of_several_tokens_are_handed_over_together(site):
    first, second = ShareTokenFactory(site=site), ShareTokenFactory(site=site)
    record_token_use(first, now=at(5))
    for tenth in range(1, 4):
        record_token_use(first, now=at(5 + tenth / 10))
        record_token_use(second, now=at(5 + tenth / 10))

    hand_over_local_uses(now=at(70))

    assert (stored(first), stored(second)) == ((4, at(5.3)), (3, at(5.3)))


def test_uses_given_back_after_a_failed_hand_over_join_those_noted_meanwhile():
    uses = LocalUses()
    uses.note(1, now=at(5))
    uses.note(2, now=at(5.5))
    taken = uses.take(now=at(6))
    uses.note(1, now=at(6.5))

    uses.give_back(taken)

    assert uses.take(now=at(7)) == {
        1: NotedUse(count=2, last_used_at=at(6.5)),
        2: NotedUse(count=1, last_used_at=at(5.5)),
    }


def test_forget_cancels_a_planned_hand_over(monkeypatch):
    monkeypatch.setattr(local_uses_module, "HAND_OVER_EVERY", dt.timedelta(milliseconds=50))
    uses = LocalUses()
    ran = threading.Event()
    uses.hand_over_later(ran.set)

    uses.forget()

    assert not ran.wait(timeout=0.3)
