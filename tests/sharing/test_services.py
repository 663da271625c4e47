"""The share-token services and their guards, called directly as the admin and the commands call them."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from sharing.models import ShareToken
from sharing.services import (
    create_share_token,
    extend_share_token_expiry,
    revoke_share_token,
    rotate_share_token,
    update_share_token,
)
from sharing.tokens import token_digest
from tests.factories import SiteFactory

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory()


def token_with(site, **state) -> ShareToken:
    """A token created at NOW, then put directly into a state (revoked, expired, replaced) for the guard tests."""
    share_token = create_share_token(site=site, now=NOW, label="Board", allowed_periods=["30d", "7d"]).share_token
    ShareToken.objects.filter(pk=share_token.pk).update(**state)
    share_token.refresh_from_db()
    return share_token


UNCHANGEABLE = {
    "revoked": {"revoked_at": NOW - HOUR},
    "expired": {"expires_at": NOW - HOUR},
    "replaced": {"revoked_at": NOW + HOUR},
}


def test_create_keeps_only_a_digest_and_periods_in_canonical_order(site):
    issued = create_share_token(site=site, now=NOW, label="Board", allowed_periods=["365d", "24h", "7d"])

    stored = ShareToken.objects.get(pk=issued.share_token.pk)
    assert stored.digest == token_digest(issued.raw_token)
    assert stored.display_prefix == issued.raw_token[:14]
    assert stored.allowed_periods == ["24h", "7d", "365d"]
    assert issued.raw_token not in {stored.label, stored.digest, stored.display_prefix}


@pytest.mark.parametrize("periods", [["7d", "1y"], ["7D"], [""]])
def test_create_refuses_unknown_periods(site, periods):
    with pytest.raises(ValidationError, match="Unknown period"):
        create_share_token(site=site, now=NOW, allowed_periods=periods)

    assert not ShareToken.objects.exists()


@pytest.mark.parametrize("expires_at", [NOW, NOW - HOUR])
def test_create_refuses_an_expiry_that_is_not_in_the_future(site, expires_at):
    with pytest.raises(ValidationError, match="in the future"):
        create_share_token(site=site, now=NOW, expires_at=expires_at)

    assert not ShareToken.objects.exists()


def test_update_changes_label_periods_and_expiry_of_a_working_token(site):
    share_token = token_with(site)

    update_share_token(share_token, now=NOW, label="Client", allowed_periods=["90d"], expires_at=NOW + 2 * HOUR)

    stored = ShareToken.objects.get(pk=share_token.pk)
    assert (stored.label, stored.allowed_periods, stored.expires_at) == ("Client", ["90d"], NOW + 2 * HOUR)


@pytest.mark.parametrize("state", UNCHANGEABLE)
def test_update_never_revives_or_widens_an_unchangeable_token(site, state):
    share_token = token_with(site, **UNCHANGEABLE[state])
    before = ShareToken.objects.values("allowed_periods", "expires_at", "revoked_at").get(pk=share_token.pk)

    with pytest.raises(ValidationError, match="Only the label"):
        update_share_token(share_token, now=NOW, label="Board", allowed_periods=[], expires_at=NOW + 24 * HOUR)

    assert ShareToken.objects.values("allowed_periods", "expires_at", "revoked_at").get(pk=share_token.pk) == before


@pytest.mark.parametrize("state", UNCHANGEABLE)
def test_update_still_renames_an_unchangeable_token(site, state):
    share_token = token_with(site, **UNCHANGEABLE[state])

    update_share_token(
        share_token,
        now=NOW,
        label="Old board link",
        allowed_periods=share_token.allowed_periods,
        expires_at=share_token.expires_at,
    )

    assert ShareToken.objects.get(pk=share_token.pk).label == "Old board link"


def test_update_refuses_a_new_expiry_in_the_past(site):
    share_token = token_with(site)

    with pytest.raises(ValidationError, match="in the future"):
        update_share_token(share_token, now=NOW, label="Board", allowed_periods=["7d"], expires_at=NOW - HOUR)

    assert ShareToken.objects.get(pk=share_token.pk).expires_at is None


def test_extend_pushes_a_working_expiry_back(site):
    share_token = token_with(site, expires_at=NOW + HOUR)

    assert extend_share_token_expiry(share_token, by=dt.timedelta(days=30), now=NOW) is True
    assert ShareToken.objects.get(pk=share_token.pk).expires_at == NOW + HOUR + dt.timedelta(days=30)


@pytest.mark.parametrize(
    "state",
    [
        {"expires_at": None},
        {"expires_at": NOW - HOUR},
        {"expires_at": NOW + HOUR, "revoked_at": NOW - HOUR},
        {"expires_at": NOW + HOUR, "revoked_at": NOW + HOUR},
    ],
    ids=["never-expires", "expired", "revoked", "replaced"],
)
def test_extend_leaves_other_tokens_as_they_are(site, state):
    share_token = token_with(site, **state)

    assert extend_share_token_expiry(share_token, by=dt.timedelta(days=30), now=NOW) is False
    assert ShareToken.objects.get(pk=share_token.pk).expires_at == state["expires_at"]


def test_revoke_is_immediate_and_reports_a_second_revocation(site):
    share_token = token_with(site)

    assert revoke_share_token(share_token, now=NOW) is True
    assert revoke_share_token(share_token, now=NOW + HOUR) is False
    assert ShareToken.objects.get(pk=share_token.pk).revoked_at == NOW
    assert not ShareToken.objects.active(NOW).exists()


def test_revoke_ends_a_rotation_grace_period_at_once(site):
    share_token = token_with(site, revoked_at=NOW + 24 * HOUR)

    assert revoke_share_token(share_token, now=NOW) is True
    assert ShareToken.objects.get(pk=share_token.pk).revoked_at == NOW


def test_rotate_issues_a_twin_and_ends_the_old_token_after_the_grace(site):
    old = token_with(site, expires_at=NOW + 48 * HOUR)

    issued = rotate_share_token(old, now=NOW, grace=HOUR)

    new = ShareToken.objects.get(pk=issued.share_token.pk)
    assert (new.site_id, new.label, new.allowed_periods, new.expires_at) == (
        site.pk,
        "Board",
        ["7d", "30d"],
        NOW + 48 * HOUR,
    )
    assert new.digest == token_digest(issued.raw_token)
    assert ShareToken.objects.get(pk=old.pk).revoked_at == NOW + HOUR
    assert set(ShareToken.objects.active(NOW + HOUR - dt.timedelta(seconds=1))) == {old, new}
    assert set(ShareToken.objects.active(NOW + HOUR)) == {new}


@pytest.mark.parametrize("state", UNCHANGEABLE)
def test_rotate_refuses_an_unchangeable_token_and_issues_nothing(site, state):
    share_token = token_with(site, **UNCHANGEABLE[state])

    with pytest.raises(ValidationError, match="can be rotated"):
        rotate_share_token(share_token, now=NOW)

    assert ShareToken.objects.count() == 1
    assert ShareToken.objects.get(pk=share_token.pk).revoked_at == UNCHANGEABLE[state].get("revoked_at")


@pytest.mark.parametrize(
    ("state", "changeable"),
    [({}, True), ({"expires_at": NOW + HOUR}, True), *((state, False) for state in UNCHANGEABLE.values())],
)
def test_changeable_is_active_and_not_being_replaced(site, state, changeable):
    share_token = token_with(site, **state)

    assert ShareToken.objects.changeable(NOW).filter(pk=share_token.pk).exists() is changeable


# --- Password, sections and embedding origins --------------------------------------------------

SECRET = "correct horse 42"


def reader_settings(share_token: ShareToken) -> tuple:
    return (share_token.password_hash, share_token.hidden_sections, share_token.frame_origins)


def test_a_password_is_stored_only_as_a_django_hash(site):
    share_token = create_share_token(site=site, now=NOW, password=SECRET).share_token

    share_token.refresh_from_db()
    assert share_token.has_password
    assert SECRET not in share_token.password_hash
    assert check_password(SECRET, share_token.password_hash)
    assert not check_password("correct horse 43", share_token.password_hash)


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_a_password_must_have_8_to_128_characters(site, password):
    with pytest.raises(ValidationError):
        create_share_token(site=site, now=NOW, password=password)
    assert not ShareToken.objects.exists()


def test_sections_and_origins_are_checked_and_stored_in_canonical_form(site):
    share_token = create_share_token(
        site=site,
        now=NOW,
        hidden_sections=["countries", "referrers", "countries"],
        frame_origins=[" https://Intranet.Example.com/ ", "http://localhost:8000", "https://intranet.example.com"],
    ).share_token

    assert share_token.hidden_sections == ["referrers", "countries"]
    assert share_token.frame_origins == ["https://intranet.example.com", "http://localhost:8000"]
    assert not share_token.shows("referrers") and share_token.shows("pages")


@pytest.mark.parametrize(
    "origin",
    [
        "intranet.example.com",
        "https://intranet.example.com/stats",
        "javascript:alert(1)",
        "https://a.example; script-src *",
        "https://a.example 'unsafe-inline'",
        "*",
        "https://*.example.com",
        "ftp://a.example",
    ],
)
def test_anything_but_an_exact_origin_is_refused_so_it_cannot_reach_the_policy_header(site, origin):
    with pytest.raises(ValidationError):
        create_share_token(site=site, now=NOW, frame_origins=[origin])
    assert not ShareToken.objects.exists()


def test_an_unknown_section_is_refused(site):
    with pytest.raises(ValidationError):
        create_share_token(site=site, now=NOW, hidden_sections=["pages", "secrets"])


def test_rotation_copies_password_sections_and_origins(site):
    old = create_share_token(
        site=site, now=NOW, password=SECRET, hidden_sections=["countries"], frame_origins=["https://a.example"]
    ).share_token

    new = rotate_share_token(old, now=NOW).share_token

    assert reader_settings(new) == reader_settings(old)
    assert check_password(SECRET, new.password_hash)


def test_update_sets_changes_and_removes_the_password_and_keeps_what_is_not_given(site):
    share_token = create_share_token(site=site, now=NOW, hidden_sections=["pages"]).share_token
    same = {"now": NOW, "label": "Board", "allowed_periods": [], "expires_at": None}

    update_share_token(share_token, **same, new_password=SECRET)
    first_hash = share_token.password_hash
    update_share_token(share_token, **same, new_password="another password")
    second_hash = share_token.password_hash
    update_share_token(share_token, **same)
    kept_hash = share_token.password_hash
    update_share_token(share_token, **same, remove_password=True)

    assert check_password(SECRET, first_hash)
    assert check_password("another password", second_hash)
    assert kept_hash == second_hash
    assert share_token.password_hash == ""
    assert share_token.hidden_sections == ["pages"]


@pytest.mark.parametrize("state", UNCHANGEABLE)
def test_password_sections_and_origins_of_an_unchangeable_link_stay_as_they_are(site, state):
    share_token = token_with(site, **UNCHANGEABLE[state])
    same = {"now": NOW, "label": "Board", "allowed_periods": ["7d", "30d"], "expires_at": share_token.expires_at}

    for change in [{"new_password": SECRET}, {"hidden_sections": ["pages"]}, {"frame_origins": ["https://a.example"]}]:
        with pytest.raises(ValidationError):
            update_share_token(share_token, **same, **change)

    share_token.refresh_from_db()
    assert reader_settings(share_token) == ("", [], [])
