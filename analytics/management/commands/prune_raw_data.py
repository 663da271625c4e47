from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.retention import DELETE_BATCH, prune_raw_data, retention_days


class Command(BaseCommand):
    help = (
        "Delete raw pageviews and sessions older than RAW_RETENTION_DAYS (site-local days before today), "
        "one site at a time in small batches; the rollups keep every period's answer. 0 or unset keeps everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="keep this many days instead of RAW_RETENTION_DAYS (at least 2)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
        parser.add_argument("--batch", type=int, default=DELETE_BATCH, help=f"rows per delete (default {DELETE_BATCH})")

    def handle(self, *args, **options) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch needs a positive number.")
        try:
            keep = retention_days(days=options["days"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if keep == 0:
            self.stdout.write("Raw data retention is off (RAW_RETENTION_DAYS empty or 0): nothing deleted.")
            return
        result = prune_raw_data(now=timezone.now(), days=keep, dry_run=options["dry_run"], batch=options["batch"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(
            f"{verb} {result.pageviews} pageview(s) and {result.sessions} session(s) older than {keep} day(s) "
            f"across {result.sites} site(s)."
        )
