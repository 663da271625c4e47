import datetime as dt
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.domains import normalize_domain
from analytics.models import Site
from analytics.periods import Period
from sharing.sections import SECTIONS
from sharing.services import create_share_token


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create a share token for a site. The raw token is printed once, alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="The site's domain, e.g. example.com")
        parser.add_argument("--label", default="", help="A name to recognise the token by")
        parser.add_argument(
            "--periods", default="", help=f"Comma-separated subset of {','.join(Period.values)}; default all"
        )
        parser.add_argument("--expires-in-days", type=int, default=None, help="Expire after this many days")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Protect the link with a password read from the first line of standard input "
            "(never from the command line, where it would stay in the shell's history)",
        )
        parser.add_argument(
            "--hide", default="", help=f"Comma-separated sections to leave out: {','.join(SECTIONS)}; default none"
        )
        parser.add_argument(
            "--origins",
            default="",
            help="Comma-separated origins allowed to embed the link (https://intranet.example.com); default any",
        )
        parser.add_argument(
            "--language",
            default="",
            choices=["", *(code for code, _name in settings.LANGUAGES)],
            help="The page's language for every reader; default: each reader's browser language",
        )

    def handle(self, *args, **options) -> None:
        domain = normalize_domain(options["site"])
        site = Site.objects.filter(domain=domain).first()
        if site is None:
            raise CommandError(f"No site with domain {domain!r}.")
        periods = comma_list(options["periods"])
        password = sys.stdin.readline().rstrip("\r\n") if options["password_stdin"] else ""
        if options["password_stdin"] and not password:
            raise CommandError("--password-stdin read an empty password.")
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        now = timezone.now()
        expires_at = now + dt.timedelta(days=days) if days else None
        try:
            issued = create_share_token(
                site=site,
                now=now,
                label=options["label"],
                allowed_periods=periods,
                expires_at=expires_at,
                password=password,
                hidden_sections=comma_list(options["hide"]),
                frame_origins=comma_list(options["origins"]),
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        token = issued.share_token
        settings_text = "; ".join(
            [
                f"periods: {', '.join(token.periods)}",
                f"expires: {token.expires_at or 'never'}",
                f"password: {'yes' if token.has_password else 'no'}",
                f"hidden: {', '.join(token.hidden_sections) or 'none'}",
                f"embedding: {', '.join(token.frame_origins) or 'any site'}",
                f"language: {token.language or 'each reader'}",
            ]
        )
        self.stdout.write(
            f"Created share token {token.display_prefix}… for {site.domain} ({settings_text}). It is shown only now:"
        )
        self.stdout.write(issued.raw_token)
