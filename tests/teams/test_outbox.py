"""The outbox: requests only queue, a sender delivers through the configured backend, failures wait and retry."""

import datetime as dt
import logging

import pytest
from django.core.management import call_command

from teams import outbox
from teams.models import OutboxEmail
from teams.outbox import queue_email, send_due_emails

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
BODY = "Open http://testserver/invitations/secret-token-value/ to accept."


@pytest.fixture
def unreachable_smtp(settings):
    """SMTP settings pointing at a port of this engineer's range where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 2535
    settings.EMAIL_TIMEOUT = 2
    return settings


def test_queuing_writes_a_row_and_sends_only_after_the_commit(db, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_SEND_IN_THREAD = True

    with django_capture_on_commit_callbacks() as callbacks:
        queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    assert callbacks == [outbox.send_in_background]
    row = OutboxEmail.objects.get()
    assert (row.to, row.attempts, row.sent_at, row.next_attempt_at) == ("mia@example.com", 0, None, NOW)


def test_without_the_thread_nothing_is_scheduled(db, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_SEND_IN_THREAD = False

    with django_capture_on_commit_callbacks() as callbacks:
        queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    assert callbacks == []


def test_a_failed_send_is_kept_retried_later_and_logged_without_address_or_body(db, unreachable_smtp, caplog):
    queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    with caplog.at_level(logging.WARNING, logger="glimpse.email"):
        first = send_due_emails(now=NOW)
    too_soon = send_due_emails(now=NOW + dt.timedelta(seconds=59))

    assert first == (0, 1)
    assert too_soon == (0, 0)
    row = OutboxEmail.objects.get()
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.body == BODY
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert f"Sending queued email {row.pk} failed (attempt 1 of 8, ConnectionRefusedError)" in logged
    assert "mia@example.com" not in logged
    assert "secret-token-value" not in logged


def test_the_retry_goes_out_once_the_server_is_back(db, smtp_settings, smtp_server):
    queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)
    OutboxEmail.objects.update(attempts=1, last_error="ConnectionRefusedError: down")

    sent = send_due_emails(now=NOW)

    assert sent == (1, 0)
    assert [message["Subject"] for message in smtp_server.messages] == ["Hello"]
    row = OutboxEmail.objects.get()
    assert (row.attempts, row.body, row.last_error, row.sent_at) == (2, "", "", NOW)


def test_after_eight_attempts_an_email_is_given_up_and_shown_as_such(db, unreachable_smtp, admin_client):
    queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)
    OutboxEmail.objects.update(attempts=8, last_error="SMTPRecipientsRefused: no such user")

    assert send_due_emails(now=NOW + dt.timedelta(days=1)) == (0, 0)
    listing = admin_client.get("/admin/teams/outboxemail/").content.decode()
    assert "Failed, given up" in listing
    assert "SMTPRecipientsRefused: no such user" in listing
    assert (
        "secret-token-value"
        not in admin_client.get(f"/admin/teams/outboxemail/{OutboxEmail.objects.get().pk}/change/").content.decode()
    )


def test_a_claimed_email_is_not_sent_by_a_second_sender(db, smtp_settings, smtp_server):
    email = queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    assert outbox.claim(email.pk, now=NOW) is True
    assert outbox.claim(email.pk, now=NOW) is False
    assert send_due_emails(now=NOW + dt.timedelta(seconds=30)) == (0, 0)
    assert smtp_server.messages == []


def test_the_outbox_is_for_superusers_only(db, owner_client):
    queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    assert owner_client.get("/admin/teams/outboxemail/").status_code == 403


def test_the_command_sends_what_is_due(db, smtp_settings, smtp_server, capsys):
    queue_email(to="mia@example.com", subject="Hello", body=BODY, now=NOW)

    call_command("send_emails")

    assert capsys.readouterr().out == "Sent 1 email(s), 0 failed.\n"
    assert len(smtp_server.messages) == 1
