"""Every email Glimpse sends goes through the outbox: a request writes a row, a sender delivers it later.

So a slow or unreachable mail server never holds up a request. The sender is
`manage.py send_emails` (the `mailer` process of the Procfile), and, with
`EMAIL_SEND_IN_THREAD` on, a short-lived thread started when the queuing transaction commits,
so a single-process demo prints its emails at once. Both claim a row before sending it (one
conditional UPDATE), so two senders never send one email twice. A failed send is tried again
after a growing pause; after `MAX_ATTEMPTS` it stays in the admin as failed.
"""

import datetime as dt
import logging
import threading

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import close_old_connections, transaction
from django.utils import timezone

from teams.models import OutboxEmail

logger = logging.getLogger("glimpse.email")

MAX_ATTEMPTS = 8
# The pause after the n-th failed attempt (the last one repeats), and how long a claim holds.
RETRY_AFTER = [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2)]
CLAIM = dt.timedelta(minutes=2)
BATCH = 50


def queue_email(*, to: str, subject: str, body: str, now: dt.datetime) -> OutboxEmail:
    """Writes the email to the outbox; it leaves after the surrounding transaction commits."""
    email = OutboxEmail.objects.create(to=to, subject=subject, body=body, created_at=now, next_attempt_at=now)
    if settings.EMAIL_SEND_IN_THREAD:
        transaction.on_commit(send_in_background)
    return email


def send_in_background() -> None:
    threading.Thread(target=send_from_thread, name="glimpse-email", daemon=True).start()


def send_from_thread() -> None:
    try:
        send_due_emails(now=timezone.now())
    finally:
        close_old_connections()


def due(now: dt.datetime):
    return OutboxEmail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)


def claim(email_id: int, *, now: dt.datetime) -> bool:
    """Ours for `CLAIM`: another sender's UPDATE finds `next_attempt_at` moved and claims nothing."""
    return due(now).filter(pk=email_id).update(next_attempt_at=now + CLAIM) == 1


def send_due_emails(*, now: dt.datetime) -> tuple[int, int]:
    """Sends what is due; returns (sent, failed). Errors are stored on the row, never raised."""
    sent = failed = 0
    ids = list(due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return sent, failed
    connection = get_connection(fail_silently=False)
    for email_id in ids:
        if not claim(email_id, now=now):
            continue
        email = OutboxEmail.objects.get(pk=email_id)
        try:
            EmailMessage(
                email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to], connection=connection
            ).send()
        except Exception as problem:  # any failure of any backend is kept on the row and retried
            failed += 1
            record_failure(email, problem=problem, now=now)
            continue
        sent += 1
        OutboxEmail.objects.filter(pk=email.pk).update(sent_at=now, attempts=email.attempts + 1, body="", last_error="")
    return sent, failed


def record_failure(email: OutboxEmail, *, problem: Exception, now: dt.datetime) -> None:
    """Only the kind of error and its text go to the row and the log: never the address or the body."""
    attempts = email.attempts + 1
    pause = RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]
    error = f"{type(problem).__name__}: {problem}"[:500]
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=attempts, next_attempt_at=now + pause, last_error=error)
    logger.warning(
        "Sending queued email %s failed (attempt %s of %s, %s); next try in %s s",
        email.pk,
        attempts,
        MAX_ATTEMPTS,
        type(problem).__name__,
        int(pause.total_seconds()),
    )
