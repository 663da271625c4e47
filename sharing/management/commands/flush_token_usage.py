from django.core.management.base import BaseCommand
from django.utils import timezone

from sharing.usage import flush_token_usage


class Command(BaseCommand):
    help = (
        "Write share-link uses still counted in the cache to the database. Run it every minute (cron) "
        "so links used in a short burst show exact numbers; busy links are written as they are used."
    )

    def handle(self, *args, **options) -> None:
        uses = flush_token_usage(now=timezone.now())
        self.stdout.write(f"Wrote {uses} pending use{'s' if uses != 1 else ''} to the database.")
