import logging
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from analytics.rollups import RollupResult, rebuild_rollups, roll_up

logger = logging.getLogger("glimpse.rollups")


class Command(BaseCommand):
    help = (
        "Roll up every site-day that received pageviews since the last run (idempotent). "
        "--every N keeps doing it, as the Procfile's worker does; --rebuild starts from scratch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, metavar="SECONDS", help="repeat forever, pausing this long")
        parser.add_argument("--rebuild", action="store_true", help="drop every rollup and roll up all data again")

    def handle(self, *args, **options) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every needs a positive number of seconds.")
        if options["rebuild"]:
            self.report(rebuild_rollups(now=timezone.now()))
        if every is None:
            if not options["rebuild"]:
                self.report(roll_up(now=timezone.now()))
            return
        while True:
            self.run_pass()
            time.sleep(every)

    def run_pass(self) -> None:
        """One worker pass; a failure is logged and retried on the next pass rather than ending the worker."""
        close_old_connections()
        try:
            self.report(roll_up(now=timezone.now()))
        except Exception:
            logger.exception("Roll-up pass failed; retrying on the next pass")
        finally:
            close_old_connections()

    def report(self, result: RollupResult) -> None:
        self.stdout.write(
            f"Rolled up {result.days} site-day(s) and summed {result.blocks} block(s) in {result.seconds:.2f} s; "
            f"pageviews through id {result.watermark} are rolled up."
        )
