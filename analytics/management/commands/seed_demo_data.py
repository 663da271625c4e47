from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.demo import seed_demo_traffic
from analytics.domains import normalize_domain
from analytics.models import Site

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Fill a site with realistic, deterministic demo traffic ending now (creates the site if needed), "
        "bulk-inserted, and roll the site up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="Domain of the site, e.g. example.com")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--visitors-per-day", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--owner", default="admin", help="Username owning the site if it is created")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone if the site is created")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the site already has data")

    def handle(self, *args, **options) -> None:
        if options["days"] < 1 or options["visitors_per_day"] < 0:
            raise CommandError("--days must be at least 1 and --visitors-per-day not negative.")
        domain = normalize_domain(options["site"])
        if not domain:
            raise CommandError("--site needs a domain such as example.com.")
        site = Site.objects.filter(domain=domain).first()
        if site is None:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r} to own the new site; pass --owner.")
            site = Site.objects.create(domain=domain, owner=owner, timezone=options["timezone"])
        if options["if_empty"] and site.pageviews.exists():
            self.stdout.write(f"{site.domain} already has data; keeping it.")
            return
        started = timezone.now()
        sessions, pageviews = seed_demo_traffic(
            site=site,
            now=started,
            days=options["days"],
            visitors_per_day=options["visitors_per_day"],
            seed=options["seed"],
            progress=self.progress_bar(site.domain),
        )
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write("")
        self.stdout.write(
            f"Seeded and rolled up {site.domain}: {sessions:,} sessions, {pageviews:,} pageviews in {seconds:.1f}s."
        )

    def progress_bar(self, domain: str) -> Callable[[int, int], None]:
        """`Seeding example.com [########------------]  40% (146/365 days)`, redrawn in place on a terminal;
        elsewhere (a log, a pipe) one line per tenth, so the output stays readable."""
        interactive = self.stdout.isatty()
        shown = {"tenth": -1}

        def show(done: int, total: int) -> None:
            tenth = 10 * done // total
            if not interactive and tenth == shown["tenth"]:
                return
            shown["tenth"] = tenth
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"Seeding {domain} [{bar}] {100 * done // total:3d}% ({done}/{total} days)"
            if done == total:
                line += ", then rolling up"
            self.stdout.write(("\r" if interactive else "") + line, ending="" if interactive else "\n")
            self.stdout.flush()

        return show
