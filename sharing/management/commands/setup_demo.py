from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from analytics.models import Site
from sharing.selectors import find_active_token
from sharing.services import create_share_token

DEMO_DOMAIN = "example.com"
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "glimpse-demo"
DEMO_TOKEN_FILE = Path(settings.BASE_DIR) / "var" / "demo-share-token.txt"


class Command(BaseCommand):
    help = "Prepare the local demo: an admin user, a site with a year of traffic, a share token; print the URLs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--visitors-per-day", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        admin = user_model.objects.filter(username=DEMO_USERNAME).first()
        if admin is None:
            admin = user_model.objects.create_superuser(DEMO_USERNAME, "admin@example.com", DEMO_PASSWORD)
        Site.objects.get_or_create(
            domain=DEMO_DOMAIN,
            defaults={"owner": admin, "nickname": "Example Blog", "timezone": "Europe/Amsterdam"},
        )
        call_command(
            "seed_demo_data",
            site=DEMO_DOMAIN,
            days=options["days"],
            visitors_per_day=options["visitors_per_day"],
            if_empty=True,
            stdout=self.stdout,
        )
        raw_token = self.demo_token()
        base = settings.GLIMPSE_BASE_URL
        self.stdout.write(
            "\nGlimpse demo is ready.\n"
            f"  Admin:      {base}/admin/  (user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r})\n"
            f"  Share page: {base}/share/{raw_token}/\n"
            f"  API:        curl -s '{base}/api/public/stats?token={raw_token}&period=30d'\n"
        )

    def demo_token(self) -> str:
        """Reuse the demo's token across runs while it is still valid; raw tokens are never stored in the database."""
        if DEMO_TOKEN_FILE.exists():
            raw_token = DEMO_TOKEN_FILE.read_text().strip()
            if find_active_token(raw_token, now=timezone.now()) is not None:
                return raw_token
        issued = create_share_token(
            site=Site.objects.get(domain=DEMO_DOMAIN), now=timezone.now(), label="Demo share link"
        )
        DEMO_TOKEN_FILE.parent.mkdir(exist_ok=True)
        DEMO_TOKEN_FILE.write_text(issued.raw_token + "\n")
        return issued.raw_token
