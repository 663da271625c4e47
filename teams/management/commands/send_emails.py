"""Sends the outbox (`teams.outbox`): once, or every few seconds as the Procfile's `mailer` process."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from teams.outbox import send_due_emails


class Command(BaseCommand):
    help = "Send queued emails (invitations, password resets); failed ones are retried later."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Keep running, sending every N seconds.")

    def handle(self, *args, every: float, **options) -> None:
        while True:
            sent, failed = send_due_emails(now=timezone.now())
            if sent or failed or not every:
                self.stdout.write(f"Sent {sent} email(s), {failed} failed.")
            if not every:
                return
            time.sleep(every)
