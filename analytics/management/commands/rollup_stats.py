import logging
import time
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from analytics.hourly_rollups import prune_hourly_rollups
from analytics.models import Site
from analytics.rollups import RollupResult, rebuild_rollups, slide_due_periods, sum_due_blocks

logger = logging.getLogger("glimpse.rollups")


class Command(BaseCommand):
    help = (
        "Rollups are kept current as pageviews are written; this sums the blocks of days that are over, moves "
        "the period totals past the days that left them and drops hourly rows older than three days (--every N "
        "keeps doing it), or rebuilds them from the raw rows (--rebuild, after a bulk load or to repair)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, metavar="SECONDS", help="repeat forever, pausing this long")
        parser.add_argument("--rebuild", action="store_true", help="count every site's rollups from the raw rows again")
        parser.add_argument("--site", action="append", metavar="DOMAIN", help="with --rebuild: only this site")
        parser.add_argument("--jobs", type=int, default=1, help="with --rebuild: sites rebuilt side by side")

    def handle(self, *args, **options) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every needs a positive number of seconds.")
        if options["site"] and not options["rebuild"]:
            raise CommandError("--site goes with --rebuild.")
        if options["rebuild"]:
            sites = None
            if options["site"]:
                sites = list(Site.objects.filter(domain__in=options["site"]))
                missing = set(options["site"]) - {site.domain for site in sites}
                if missing:
                    raise CommandError(f"No site with domain {', '.join(sorted(missing))}.")
            if options["jobs"] < 1:
                raise CommandError("--jobs needs a positive number.")
            self.report(rebuild_rollups(now=timezone.now(), sites=sites, jobs=options["jobs"]))
        if every is None:
            if not options["rebuild"]:
                self.report(self.due_work())
            return
        while True:
            self.run_pass()
            time.sleep(every)

    def run_pass(self) -> None:
        """One pass; a failure is logged and retried on the next pass rather than ending the worker."""
        close_old_connections()
        try:
            self.report(self.due_work())
        except Exception:
            logger.exception("A pass of the rollup worker failed; retrying on the next pass")
        finally:
            close_old_connections()

    def due_work(self) -> RollupResult:
        started = time.perf_counter()
        blocks = sum_due_blocks(now=timezone.now())
        periods = slide_due_periods(now=timezone.now())
        prune_hourly_rollups(now=timezone.now())
        return replace(blocks, periods=periods, seconds=time.perf_counter() - started)

    def report(self, result: RollupResult) -> None:
        self.stdout.write(
            f"Rolled up {result.days} site-day(s) and summed {result.blocks} block(s) in {result.seconds:.2f} s; "
            f"moved or built {result.periods} period total(s)."
        )
