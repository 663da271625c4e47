"""Share links in the admin as a site owner uses them: list, add (token shown once), change, filters, search."""

import datetime as dt
import re
import zoneinfo

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from sharing.models import ShareToken
from sharing.tokens import token_digest
from tests.factories import ShareTokenFactory, SiteFactory

CHANGELIST = "/admin/sharing/sharetoken/"
ADD = "/admin/sharing/sharetoken/add/"
TOKEN_PATTERN = re.compile(r"glimpse_[A-Za-z0-9_-]{43}")


def everything_cached() -> list[str]:
    """Every value in the cache, whichever backend runs the suite (in-process, or Redis in the service run)."""
    backend = caches["default"]
    if hasattr(backend, "keys"):
        return [repr(backend.get(key)) for key in backend.keys("*")]
    return [repr(value) for value in backend._cache.values()]


def change_url(share_token: ShareToken) -> str:
    return f"/admin/sharing/sharetoken/{share_token.pk}/change/"


@pytest.fixture
def owned_site(owner):
    return SiteFactory(owner=owner, domain="olivia.example", timezone="Europe/Amsterdam")


def add_form(site, **overrides) -> dict:
    data = {"site": site.pk, "label": "Client report", "expires_at_0": "", "expires_at_1": ""}
    data.update(overrides)
    return data


def test_changelist_lists_own_tokens_newest_first_with_every_column(owner_client, owned_site):
    older = ShareTokenFactory(site=owned_site, label="Older link")
    newer = ShareTokenFactory(site=owned_site, label="Newer link", allowed_periods=["7d", "30d"])
    ShareToken.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=2))

    response = owner_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    for heading in ["Label and site", "Status", "Periods", "Expires", "Last used", "Uses", "Created"]:
        assert f">{heading}<" in body
    assert body.index("Newer link") < body.index("Older link")
    assert f"{newer.display_prefix}…" in body
    assert "7d, 30d" in body
    assert "All periods" in body
    assert body.count("glimpse-status-active") == 2


def test_status_is_shown_as_distinct_labelled_badges(owner_client, owned_site):
    ShareTokenFactory(site=owned_site, label="Working")
    ShareTokenFactory(site=owned_site, label="Ran out", expired=True)
    ShareTokenFactory(site=owned_site, label="Cut off", revoked=True)

    body = owner_client.get(CHANGELIST).content.decode()

    assert re.search(r'glimpse-status-active"[^>]*>Active<', body)
    assert re.search(r'glimpse-status-expired"[^>]*>Expired<', body)
    assert re.search(r'glimpse-status-revoked"[^>]*>Revoked<', body)


@pytest.mark.parametrize(
    ("status", "expected", "absent"),
    [
        ("active", {"Working", "Replaced but in grace"}, {"Ran out", "Cut off"}),
        ("expired", {"Ran out"}, {"Working", "Cut off", "Replaced but in grace"}),
        ("revoked", {"Cut off"}, {"Working", "Ran out", "Replaced but in grace"}),
    ],
)
def test_status_filter_uses_revocation_and_expiry(owner_client, owned_site, status, expected, absent):
    ShareTokenFactory(site=owned_site, label="Working")
    ShareTokenFactory(site=owned_site, label="Ran out", expired=True)
    ShareTokenFactory(site=owned_site, label="Cut off", revoked=True)
    ShareTokenFactory(site=owned_site, label="Replaced but in grace", revoked_at=timezone.now() + dt.timedelta(hours=1))

    response = owner_client.get(CHANGELIST, {"status": status})

    assert response.status_code == 200
    body = response.content.decode()
    assert all(label in body for label in expected)
    assert not any(label in body for label in absent)


def test_site_filter_and_search_by_label_domain_prefix_and_full_token(owner_client, owner, owned_site):
    other_site = SiteFactory(owner=owner, domain="second.example")
    first = ShareTokenFactory(site=owned_site, label="Board deck")
    ShareTokenFactory(site=other_site, label="Investor page")

    assert "Investor page" not in owner_client.get(CHANGELIST, {"site__id__exact": owned_site.pk}).content.decode()
    for term in ["board", "olivia.example", first.display_prefix, first.raw_token]:
        body = owner_client.get(CHANGELIST, {"q": term}).content.decode()
        assert "Board deck" in body, term
        assert "Investor page" not in body, term


def test_add_form_offers_own_sites_periods_in_canonical_order_and_site_timezone(owner_client, owned_site):
    response = owner_client.get(ADD)

    assert response.status_code == 200
    body = response.content.decode()
    positions = [body.index(f'value="{period}"') for period in ["24h", "7d", "30d", "90d", "365d"]]
    assert positions == sorted(positions)
    assert "Tick none to allow every period" in body
    assert "Europe/Amsterdam" in body
    assert "Create share link" in body
    assert "_addanother" not in body


def test_created_token_is_shown_once_with_share_api_and_iframe_urls(owner_client, owner, owned_site, settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"

    posted = owner_client.post(ADD, add_form(owned_site, allowed_periods=["90d", "30d"]))
    response = owner_client.get(posted["Location"])

    assert posted.status_code == 302
    assert TOKEN_PATTERN.search(posted["Location"]) is None
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.content.decode()
    raw_tokens = set(TOKEN_PATTERN.findall(body))
    assert len(raw_tokens) == 1
    raw_token = raw_tokens.pop()
    assert f'value="https://stats.example.net/share/{raw_token}/"' in body
    assert f'value="https://stats.example.net/api/public/stats?token={raw_token}&amp;period=30d"' in body
    iframe = f'<iframe src="https://stats.example.net/share/{raw_token}/?period=30d&embed=1" title="Website statistics"'
    assert f'value="{escape(iframe)}' in body
    assert body.count('data-copy="') == 4
    assert "only time it is shown" in body

    share_token = ShareToken.objects.get()
    assert share_token.digest == token_digest(raw_token)
    assert share_token.allowed_periods == ["30d", "90d"]
    assert share_token.created_by == owner
    assert share_token.site == owned_site


def test_raw_token_never_reaches_database_history_session_or_later_pages(owner_client, owned_site):
    issued_url = owner_client.post(ADD, add_form(owned_site))["Location"]
    raw_token = TOKEN_PATTERN.search(owner_client.get(issued_url).content.decode()).group()
    share_token = ShareToken.objects.get()

    reloaded = owner_client.get(issued_url).content.decode()
    later = owner_client.get(change_url(share_token)).content.decode()
    listing = owner_client.get(CHANGELIST).content.decode()
    history = owner_client.get(f"/admin/sharing/sharetoken/{share_token.pk}/history/").content.decode()

    secret_part = raw_token[len(share_token.display_prefix) :]
    for page in [reloaded, later, listing, history]:
        assert secret_part not in page
    assert "shown once and cannot be shown again" in reloaded
    assert not any(secret_part in value for value in everything_cached())
    assert f"{share_token.display_prefix}…" in later
    assert "cannot be shown again" in later
    stored = [str(value) for value in ShareToken.objects.values_list().get()]
    stored += [entry.change_message + entry.object_repr for entry in LogEntry.objects.all()]
    stored += [session.session_data for session in Session.objects.all()]
    stored += [str(session.get_decoded()) for session in Session.objects.all()]
    assert not any(secret_part in value for value in stored)


def test_creation_writes_a_history_entry_with_who_and_what(owner_client, owner, owned_site):
    owner_client.post(
        ADD, add_form(owned_site, allowed_periods=["7d"], expires_at_0="2099-01-02", expires_at_1="12:00")
    )
    share_token = ShareToken.objects.get()

    entry = LogEntry.objects.get()

    assert entry.user == owner
    assert entry.action_flag == ADDITION
    assert entry.object_id == str(share_token.pk)
    assert entry.change_message == (
        f"Created share link 'Client report' ({share_token.display_prefix}…) for olivia.example; "
        "periods: 7d; expires: 2 Jan 2099, 12:00 CET; password: no; sections: All sections; embedding: Any site."
    )


def test_expiry_is_entered_in_the_site_timezone(owner_client, owned_site):
    owner_client.post(ADD, add_form(owned_site, expires_at_0="2099-07-01", expires_at_1="09:30"))

    # Amsterdam is UTC+2 in July.
    assert ShareToken.objects.get().expires_at == dt.datetime(2099, 7, 1, 7, 30, tzinfo=dt.UTC)


def test_change_page_shows_expiry_in_the_site_timezone(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, expires_at=dt.datetime(2099, 1, 5, 11, 0, tzinfo=dt.UTC))

    body = owner_client.get(change_url(share_token)).content.decode()

    assert 'value="2099-01-05"' in body
    assert 'value="12:00:00"' in body
    assert "in Europe/Amsterdam" in body


def test_expiry_in_the_past_is_refused(owner_client, owned_site):
    response = owner_client.post(ADD, add_form(owned_site, expires_at_0="2001-01-01", expires_at_1="12:00"))

    assert response.status_code == 200
    assert "Choose a moment in the future" in response.content.decode()
    assert not ShareToken.objects.exists()


def test_no_periods_ticked_means_every_period(owner_client, owned_site):
    owner_client.post(ADD, add_form(owned_site))

    share_token = ShareToken.objects.get()
    assert share_token.allowed_periods == []
    assert share_token.periods == ["24h", "7d", "30d", "90d", "365d"]


def test_changing_expiry_and_periods_of_an_active_token_is_logged_with_old_and_new_values(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site, label="Report", allowed_periods=["7d"])

    response = owner_client.post(
        change_url(share_token),
        {"label": "Report", "allowed_periods": ["7d", "90d"], "expires_at_0": "2099-03-01", "expires_at_1": "08:00"},
    )

    assert response.status_code == 302
    share_token.refresh_from_db()
    assert share_token.allowed_periods == ["7d", "90d"]
    assert share_token.expires_at == dt.datetime(2099, 3, 1, 7, 0, tzinfo=dt.UTC)
    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert entry.change_message == (
        "Periods changed from 7d to 7d, 90d. Expiry changed from Never to 1 Mar 2099, 08:00 CET."
    )


@pytest.mark.parametrize("trait", ["expired", "revoked"])
def test_expired_and_revoked_tokens_are_read_only_except_label(owner_client, owned_site, trait):
    share_token = ShareTokenFactory(site=owned_site, label="Old", allowed_periods=["7d"], **{trait: True})
    before = ShareToken.objects.values("expires_at", "revoked_at", "allowed_periods").get(pk=share_token.pk)

    page = owner_client.get(change_url(share_token)).content.decode()
    response = owner_client.post(
        change_url(share_token),
        {"label": "Renamed", "allowed_periods": ["365d"], "expires_at_0": "2099-01-01", "expires_at_1": "00:00"},
    )

    assert 'name="label"' in page
    assert 'name="expires_at_0"' not in page
    assert 'name="allowed_periods"' not in page
    assert "Rotate…" not in page
    assert response.status_code == 302
    share_token.refresh_from_db()
    assert share_token.label == "Renamed"
    assert ShareToken.objects.values("expires_at", "revoked_at", "allowed_periods").get(pk=share_token.pk) == before
    assert share_token.status(timezone.now()) == trait


def test_active_change_page_has_revoke_and_rotate_buttons(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site)

    response = owner_client.get(change_url(share_token))

    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/admin/sharing/sharetoken/{share_token.pk}/rotate/"' in body
    assert f'href="/admin/sharing/sharetoken/{share_token.pk}/revoke/"' in body
    assert "Works now and never expires." in body


def test_tokens_cannot_be_deleted_only_revoked(owner_client, owned_site, admin_client):
    share_token = ShareTokenFactory(site=owned_site)

    assert owner_client.get(f"/admin/sharing/sharetoken/{share_token.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/sharing/sharetoken/{share_token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()
    assert ShareToken.objects.filter(pk=share_token.pk).exists()


def test_superuser_sees_every_owners_tokens(admin_client, owned_site):
    ShareTokenFactory(site=owned_site, label="Olivia's")
    ShareTokenFactory(label="Someone else's")

    body = admin_client.get(CHANGELIST).content.decode()

    assert "Olivia&#x27;s" in body
    assert "Someone else&#x27;s" in body


def test_changelist_runs_the_same_queries_for_one_token_or_many(owner_client, owned_site):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(CHANGELIST).status_code == 200
        return len(queries)

    ShareTokenFactory(site=owned_site)
    with_one = list_queries()
    for _ in range(4):
        ShareTokenFactory(site=SiteFactory(owner=owned_site.owner))

    assert list_queries() == with_one


def test_date_picker_on_forms_runs_on_the_site_clock(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site)
    offset = int(timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam")).utcoffset().total_seconds())

    change_page = owner_client.get(change_url(share_token)).content.decode()
    add_page = owner_client.get(ADD, {"site": owned_site.pk}).content.decode()

    assert f'data-admin-utc-offset="{offset}"' in change_page
    assert f'data-admin-utc-offset="{offset}"' in add_page


def test_a_service_refusal_during_save_is_a_message_and_changes_nothing(owner_client, owned_site, monkeypatch):
    """The token is revoked between the form check and the save: the service refuses, the admin says so."""
    share_token = ShareTokenFactory(site=owned_site, label="Report", allowed_periods=["7d"])
    ShareToken.objects.filter(pk=share_token.pk).update(revoked_at=timezone.now() - dt.timedelta(seconds=1))
    monkeypatch.setattr("sharing.admin.is_changeable", lambda share_token, now: True)

    response = owner_client.post(
        change_url(share_token),
        {"label": "Report", "allowed_periods": ["7d", "90d"], "expires_at_0": "2099-03-01", "expires_at_1": "08:00"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Only the label of an expired, revoked or replaced share link can change." in response.content.decode()
    share_token.refresh_from_db()
    assert (share_token.allowed_periods, share_token.expires_at) == (["7d"], None)
    assert not LogEntry.objects.filter(action_flag=CHANGE).exists()


def test_each_links_page_offers_an_iframe_snippet_on_its_default_period(owner_client, owned_site, settings):
    settings.GLIMPSE_BASE_URL = "https://stats.example.net"
    share_token = ShareTokenFactory(site=owned_site, allowed_periods=["90d", "365d"])

    page = BeautifulSoup(owner_client.get(change_url(share_token)).content.decode(), "html.parser")

    assert page.select_one("#glimpse-iframe").get_text() == (
        f'<iframe src="https://stats.example.net/share/{share_token.display_prefix}…/?period=90d&embed=1" '
        'title="Website statistics" width="100%" height="1400" style="border:0"></iframe>'
        '<script async src="https://stats.example.net/js/embed.js"></script>'
    )
    assert f"put your full link in place of {share_token.display_prefix}…" in page.get_text()


def test_the_date_pickers_time_zone_note_names_the_zone_the_expiry_is_typed_in(owner_client, owned_site):
    share_token = ShareTokenFactory(site=owned_site)

    change_page = BeautifulSoup(owner_client.get(change_url(share_token)).content.decode(), "html.parser")
    add_page = BeautifulSoup(owner_client.get(ADD).content.decode(), "html.parser")

    assert change_page.select_one("#glimpse-form-zone").get_text() == '"Europe/Amsterdam"'
    assert add_page.select_one("#glimpse-form-zone").get_text() == '"Europe/Amsterdam"'
