import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.domains import normalize_domain
from analytics.models import Site
from analytics.periods import Period
from sharing.services import create_share_token


class Command(BaseCommand):
    help = "Create a share token for a site. The raw token is printed once, alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="The site's domain, e.g. example.com")
        parser.add_argument("--label", default="", help="A name to recognise the token by")
        parser.add_argument(
            "--periods", default="", help=f"Comma-separated subset of {','.join(Period.values)}; default all"
        )
        parser.add_argument("--expires-in-days", type=int, default=None, help="Expire after this many days")

    def handle(self, *args, **options) -> None:
        domain = normalize_domain(options["site"])
        site = Site.objects.filter(domain=domain).first()
        if site is None:
            raise CommandError(f"No site with domain {domain!r}.")
        periods = [period.strip() for period in options["periods"].split(",") if period.strip()]
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        now = timezone.now()
        expires_at = now + dt.timedelta(days=days) if days else None
        try:
            issued = create_share_token(
                site=site, now=now, label=options["label"], allowed_periods=periods, expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        token = issued.share_token
        self.stdout.write(
            f"Created share token {token.display_prefix}… for {site.domain} "
            f"(periods: {', '.join(token.periods)}; expires: {token.expires_at or 'never'}). "
            "It is shown only now:"
        )
        self.stdout.write(issued.raw_token)
