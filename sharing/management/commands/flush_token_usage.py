from django.core.management.base import BaseCommand
from django.utils import timezone

from sharing.usage import flush_token_usage


class Command(BaseCommand):
    help = (
        "Write share-link uses still pending to the database: counts that versions before the database "
        "hand-over left in the cache. Run it once after upgrading; serving processes write their own counts "
        "about once a second."
    )

    def handle(self, *args, **options) -> None:
        uses = flush_token_usage(now=timezone.now())
        self.stdout.write(f"Wrote {uses} pending use{'s' if uses != 1 else ''} to the database.")
