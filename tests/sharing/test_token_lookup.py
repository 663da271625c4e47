"""The compiled token lookup answers exactly as `ShareToken.objects.active()` does, in one query."""

import datetime as dt

import pytest
from django.db import connection

from sharing.models import ShareToken
from sharing.selectors import find_active_token
from sharing.token_lookup import ServerBindingCursor, compiled_lookup, preparable_cursor
from tests.factories import ShareTokenFactory, SiteFactory

NOON = dt.datetime(2026, 3, 18, 12, 0, 0, 250000, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def tokens(db):
    """One token per state, each with its raw value; times relative to NOON."""
    site = SiteFactory(domain="lookup.example", nickname="Lookup", timezone="America/New_York")
    other = SiteFactory(domain="other.example")
    made = {
        "plain": ShareTokenFactory(
            site=site,
            allowed_periods=["30d", "7d"],
            password="correct horse 42",
            hidden_sections=["countries"],
            frame_origins=["https://intranet.example"],
        ),
        "other site": ShareTokenFactory(site=other),
        "expires in an hour": ShareTokenFactory(site=site, expires_at=NOON + HOUR),
        "expired an hour ago": ShareTokenFactory(site=site, expires_at=NOON - HOUR),
        "revoked an hour ago": ShareTokenFactory(site=site, revoked_at=NOON - HOUR),
        "grace ends in an hour": ShareTokenFactory(site=site, revoked_at=NOON + HOUR),
    }
    return {name: (share_token, share_token.raw_token) for name, share_token in made.items()}


WORKING_AT_NOON = {"plain", "other site", "expires in an hour", "grace ends in an hour"}


@pytest.mark.parametrize(
    ("offset", "usable"),
    [
        (dt.timedelta(0), WORKING_AT_NOON),
        (HOUR - dt.timedelta(microseconds=1), WORKING_AT_NOON),
        (HOUR, {"plain", "other site"}),
        (-2 * HOUR, WORKING_AT_NOON | {"expired an hour ago", "revoked an hour ago"}),
    ],
)
def test_usable_tokens_are_exactly_the_active_ones(tokens, offset, usable):
    now = NOON + offset

    found = {name for name, (_, raw) in tokens.items() if find_active_token(raw, now=now) is not None}
    active = {
        name for name, (share_token, _) in tokens.items() if ShareToken.objects.active(now).filter(pk=share_token.pk)
    }

    assert found == usable
    assert active == usable


def test_found_token_and_its_site_equal_what_the_orm_loads_in_one_query(tokens, django_assert_num_queries):
    share_token, raw = tokens["plain"]
    expected = ShareToken.objects.select_related("site").get(pk=share_token.pk)

    with django_assert_num_queries(1):
        found = find_active_token(raw, now=NOON)
        site = found.site
        loaded = (found.periods, site.domain, site.nickname, site.tzinfo.key, site.owner_id, found.site_id)

    assert loaded == (["7d", "30d"], "lookup.example", "Lookup", "America/New_York", expected.site.owner_id, site.pk)
    token_fields = [field.attname for field in ShareToken._meta.concrete_fields]
    site_fields = [field.attname for field in type(site)._meta.concrete_fields]
    assert [getattr(found, name) for name in token_fields] == [getattr(expected, name) for name in token_fields]
    assert [getattr(site, name) for name in site_fields] == [getattr(expected.site, name) for name in site_fields]
    assert found._state.db == "default" and not found._state.adding
    assert (found.has_password, found.hidden_sections, found.frame_origins) == (
        True,
        ["countries"],
        ["https://intranet.example"],
    )


@pytest.mark.parametrize("raw", ["", "glimpse_unknown", "%", "' OR 1=1 --", "\u0000"])
def test_unknown_or_hostile_tokens_find_nothing(tokens, raw):
    assert find_active_token(raw, now=NOON) is None


def test_statement_is_compiled_from_the_active_queryset_with_now_and_digest_as_parameters(db):
    lookup = compiled_lookup(connection.alias)

    assert lookup.slots == ("now", "now", "digest")
    assert "revoked_at" in lookup.sql and "expires_at" in lookup.sql and "digest" in lookup.sql


@pytest.mark.postgres
def test_on_postgresql_the_lookup_becomes_a_prepared_statement(tokens):
    _, raw = tokens["plain"]
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]

    for _ in range(threshold + 1):
        assert find_active_token(raw, now=NOON) is not None

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert [statement for statement in statements if '"sharing_sharetoken"."digest" = $3' in statement]


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_preparing_switched_off_the_lookup_uses_django_s_own_cursor(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)

    with preparable_cursor(connection) as cursor:
        assert not isinstance(cursor.cursor, ServerBindingCursor)
    monkeypatch.undo()
    with preparable_cursor(connection) as cursor:
        assert isinstance(cursor.cursor, ServerBindingCursor)
