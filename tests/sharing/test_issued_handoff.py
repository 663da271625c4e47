"""The one-time hand-off of a just-issued token from its POST to the page that shows it."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from sharing import issued_handoff
from sharing.issued_handoff import HANDOFF_SECONDS, hand_off, handoff_key, take_hand_off
from sharing.models import ShareToken
from sharing.services import create_share_token
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(site):
    return create_share_token(site=site, now=timezone.now(), label="Board")


def test_the_token_is_handed_off_once_for_at_most_a_minute(issued, monkeypatch):
    owner = UserFactory()
    timeouts = []
    real_set = cache.set
    monkeypatch.setattr(
        issued_handoff.cache,
        "set",
        lambda key, value, timeout: timeouts.append(timeout) or real_set(key, value, timeout),
    )

    handoff = hand_off(issued, user=owner)
    first = take_hand_off(handoff, user=owner, share_token_id=issued.share_token.pk)
    second = take_hand_off(handoff, user=owner, share_token_id=issued.share_token.pk)

    assert timeouts == [HANDOFF_SECONDS] == [60]
    assert first.raw_token == issued.raw_token
    assert second is None
    assert cache.get(handoff_key(handoff)) is None
    assert len(handoff) >= 43


def test_another_user_or_another_link_gets_nothing(issued):
    owner, stranger = UserFactory(), UserFactory()
    other_link = create_share_token(site=SiteFactory(), now=timezone.now()).share_token

    assert take_hand_off(hand_off(issued, user=owner), user=stranger, share_token_id=issued.share_token.pk) is None
    assert take_hand_off(hand_off(issued, user=owner), user=owner, share_token_id=other_link.pk) is None


def test_a_superuser_opening_the_url_first_leaves_the_token_for_its_owner(issued):
    owner, superuser = UserFactory(), UserFactory(is_superuser=True, is_staff=True)
    handoff = hand_off(issued, user=owner)

    peeked = take_hand_off(handoff, user=superuser, share_token_id=issued.share_token.pk)
    shown = take_hand_off(handoff, user=owner, share_token_id=issued.share_token.pk)

    assert peeked is None
    assert shown.raw_token == issued.raw_token


def test_reloading_the_shown_once_page_creates_no_second_link(owner_client, owner):
    site = SiteFactory(owner=owner)
    form = {"site": site.pk, "label": "Client", "allowed_periods": ["30d"], "expires_at_0": "", "expires_at_1": ""}

    posted = owner_client.post("/admin/sharing/sharetoken/add/", form)
    shown = owner_client.get(posted["Location"])
    reloaded = owner_client.get(posted["Location"])

    assert posted.status_code == 302
    assert posted["Location"].startswith(f"/admin/sharing/sharetoken/{ShareToken.objects.get().pk}/issued/")
    assert "Copy your new share link" in shown.content.decode()
    assert reloaded.status_code == 200
    assert "shown once and cannot be shown again" in reloaded.content.decode()
    assert ShareToken.objects.count() == 1
