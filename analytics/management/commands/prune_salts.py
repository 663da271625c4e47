from django.core.management.base import BaseCommand
from django.utils import timezone

from analytics.salts import earliest_live_date, prune_salts


class Command(BaseCommand):
    help = "Delete visitor salts of dates no site is on any more (run hourly from cron; ingestion also prunes daily)."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        deleted = prune_salts(now=now)
        self.stdout.write(f"Deleted {deleted} salt(s) of dates before {earliest_live_date(now=now).isoformat()}.")
