import datetime as dt
import re
import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import Site
from sharing.models import ShareToken
from sharing.selectors import find_active_token
from tests.factories import ShareTokenFactory

pytestmark = pytest.mark.django_db

TOKEN_PATTERN = re.compile(r"^glimpse_[A-Za-z0-9_-]{43}$")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_share_token_prints_the_raw_token_alone_on_the_last_line(site):
    output = run("create_share_token", "--site", "EXAMPLE.com", "--label", "Board", "--periods", "30d,7d")

    raw_token = output.strip().splitlines()[-1]
    assert TOKEN_PATTERN.match(raw_token)
    share_token = find_active_token(raw_token, now=timezone.now())
    assert share_token.site == site
    assert (share_token.label, share_token.allowed_periods, share_token.expires_at) == ("Board", ["7d", "30d"], None)


def test_create_share_token_can_expire(site):
    before = timezone.now()
    run("create_share_token", "--site", "example.com", "--expires-in-days", "7")

    expires_at = ShareToken.objects.get().expires_at
    assert before + dt.timedelta(days=7) <= expires_at <= timezone.now() + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "nowhere.example"], "No site"),
        (["--site", "example.com", "--periods", "7d,2w"], "Unknown period"),
        (["--site", "example.com", "--expires-in-days", "0"], "positive"),
    ],
)
def test_create_share_token_rejects_bad_input(site, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_share_token", *args)
    assert not ShareToken.objects.exists()


def test_tokens_are_unique_prefixed_and_url_safe(site):
    from sharing.services import create_share_token

    raw_tokens = {create_share_token(site=site, now=timezone.now()).raw_token for _ in range(200)}

    assert len(raw_tokens) == 200
    assert all(TOKEN_PATTERN.match(raw_token) for raw_token in raw_tokens)


@pytest.mark.parametrize("by", ["token", "prefix"])
def test_revoke_share_token_by_token_or_prefix(site, by):
    share_token = ShareTokenFactory(site=site)
    argument = share_token.raw_token if by == "token" else share_token.display_prefix

    output = run("revoke_share_token", argument)

    assert "Revoked" in output
    assert find_active_token(share_token.raw_token, now=timezone.now()) is None
    assert "already revoked" in run("revoke_share_token", argument)


def test_revoke_share_token_refuses_unknown_tokens(site):
    with pytest.raises(CommandError, match="No share token"):
        run("revoke_share_token", "glimpse_nothing")


def test_create_share_token_offers_every_option_the_admin_has(site, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO("correct horse 42\n"))

    output = run(
        "create_share_token",
        "--site",
        "example.com",
        "--password-stdin",
        "--hide",
        "referrers, countries",
        "--origins",
        "https://intranet.example,https://wiki.example/",
        "--language",
        "de",
    )

    share_token = ShareToken.objects.get()
    assert share_token.has_password
    assert share_token.hidden_sections == ["referrers", "countries"]
    assert share_token.frame_origins == ["https://intranet.example", "https://wiki.example"]
    assert share_token.language == "de"
    assert "password: yes; hidden: referrers, countries" in output
    assert "correct horse 42" not in output


def test_create_share_token_refuses_an_unknown_section(site):
    with pytest.raises(CommandError, match="Unknown section"):
        run("create_share_token", "--site", "example.com", "--hide", "secrets")


def test_the_demo_refuses_a_taken_port_before_seeding_anything(db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is already in use"):
            run("setup_demo", "--days", "1", "--serve", f"127.0.0.1:{port}")

    assert not Site.objects.exists()
