import logging
import os
import socket
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from analytics.counting.hours import prune_hourly_rollups
from analytics.counting.rebuild import RollupResult, rebuild_rollups
from analytics.counting.verify import verify_site
from analytics.counting.worker import slide_due_periods
from analytics.leases import release_lease, take_lease
from analytics.models import Site
from config.logging_filters import one_line

logger = logging.getLogger("glimpse.rollups")

PASS_LEASE = "rollup-pass"
# A pass takes seconds; a worker killed mid-pass holds the lease this long, then another machine takes over.
LEASE_SECONDS = 600


class Command(BaseCommand):
    help = (
        "Counts are kept current as pageviews are written; this moves the period totals past the days that left "
        "them and drops hourly rows older than three days (--every N keeps doing it), rebuilds the counts from the "
        "raw rows (--rebuild, after a bulk load or to repair), or checks them against a recount (--verify)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, metavar="SECONDS", help="repeat forever, pausing this long")
        parser.add_argument("--rebuild", action="store_true", help="count every site's rollups from the raw rows again")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="recount recent days from the raw rows and list every stored count that differs (exit 1 if any)",
        )
        parser.add_argument("--days", type=int, default=2, help="with --verify: the last N local days (default 2)")
        parser.add_argument(
            "--site", action="append", metavar="DOMAIN", help="with --rebuild or --verify: only this site"
        )
        parser.add_argument("--jobs", type=int, default=1, help="with --rebuild: sites rebuilt side by side")
        parser.add_argument(
            "--lease",
            type=float,
            default=LEASE_SECONDS,
            metavar="SECONDS",
            help=f"how long a pass may hold off the workers of other machines at most (default {LEASE_SECONDS})",
        )

    def handle(self, *args, **options) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every needs a positive number of seconds.")
        if options["site"] and not (options["rebuild"] or options["verify"]):
            raise CommandError("--site goes with --rebuild or --verify.")
        sites = self.chosen_sites(options["site"])
        if options["verify"]:
            self.verify(sites=sites, days=options["days"])
            return
        if options["rebuild"]:
            if options["jobs"] < 1:
                raise CommandError("--jobs needs a positive number.")
            self.report(rebuild_rollups(now=timezone.now(), sites=sites, jobs=options["jobs"]))
        self.holder = f"{socket.gethostname()}-{os.getpid()}"
        self.lease_seconds = options["lease"]
        if every is None:
            if not options["rebuild"]:
                self.leased_pass()
            return
        while True:
            self.run_pass()
            time.sleep(every)

    def chosen_sites(self, domains: list[str] | None) -> list[Site] | None:
        if not domains:
            return None
        sites = list(Site.objects.filter(domain__in=domains))
        missing = set(domains) - {site.domain for site in sites}
        if missing:
            raise CommandError(f"No site with domain {', '.join(sorted(missing))}.")
        return sites

    def verify(self, *, sites: list[Site] | None, days: int) -> None:
        if days < 1:
            raise CommandError("--days needs a positive number.")
        now = timezone.now()
        checked = differences = 0
        for site in Site.objects.order_by("pk") if sites is None else sites:
            found = verify_site(site=site, now=now, days=days)
            checked += 1
            differences += len(found)
            for difference in found:
                self.stdout.write(str(difference))
        self.stdout.write(f"Checked {checked} site(s) over {days} day(s): {differences} difference(s).")
        if differences:
            raise CommandError("Stored counts differ from a recount of the raw rows; `rollup_stats --rebuild` repairs.")

    def run_pass(self) -> None:
        """One pass; a failure is logged and retried on the next pass rather than ending the worker."""
        close_old_connections()
        try:
            self.leased_pass()
        except DatabaseError as error:
            # The database is away: its message says why, a traceback would only repeat where (one line a pass).
            logger.warning(
                "A pass of the rollup worker failed on the database; retrying on the next pass: %s", one_line(error)
            )
        except Exception:
            logger.exception("A pass of the rollup worker failed; retrying on the next pass")
        finally:
            close_old_connections()

    def leased_pass(self) -> None:
        """The due work, unless the worker of another process or machine is doing this pass now.

        Any number of these workers may run, on any number of machines: the lease lets one pass
        run at a time, so no work is done twice, and the roll-up lock of each site (taken inside)
        keeps a pass and the ingest workers from colliding on a site's rows.
        """
        if not take_lease(name=PASS_LEASE, holder=self.holder, seconds=self.lease_seconds):
            self.stdout.write("Another worker is running this pass; skipped.")
            return
        try:
            self.report(self.due_work())
        finally:
            release_lease(name=PASS_LEASE, holder=self.holder)

    def due_work(self) -> RollupResult:
        started = time.perf_counter()
        periods = slide_due_periods(now=timezone.now())
        prune_hourly_rollups(now=timezone.now())
        return RollupResult(days=0, periods=periods, seconds=time.perf_counter() - started)

    def report(self, result: RollupResult) -> None:
        self.stdout.write(
            f"Counted {result.days} site-day(s) and moved or built {result.periods} period total(s) in "
            f"{result.seconds:.2f} s."
        )
