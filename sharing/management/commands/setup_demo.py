import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.models import Site
from sharing.selectors import find_active_token
from sharing.services import create_share_token

DEMO_DOMAIN = "example.com"
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "glimpse-demo"
DEMO_TOKEN_FILE = Path(settings.BASE_DIR) / "var" / "demo-share-token.txt"
SERVER_START_SECONDS = 60


def host_and_port(value: str) -> tuple[str, int]:
    """`127.0.0.1:8123`, `[::1]:8123` or `0.0.0.0:8123`."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--serve takes HOST:PORT, e.g. 127.0.0.1:8123, not {value!r}.")
    return host.strip("[]"), int(port)


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Prepare the local demo: an admin user, a site with a year of traffic, a share token; print the URLs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--visitors-per-day", type=int, default=1000)
        parser.add_argument(
            "--serve",
            metavar="HOST:PORT",
            help="Then run the development server there (`make demo PORT=… HOST=…`): the port is checked before "
            "anything else, and 'ready' is printed once the server answers",
        )

    def handle(self, *args, **options) -> None:
        serve = host_and_port(options["serve"]) if options["serve"] else None
        if serve is not None and not port_is_free(*serve):
            host, port = serve
            raise CommandError(
                f"Port {port} on {host} is already in use (another server?). Choose another: make demo PORT=8123"
            )
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
        if serve is None:
            self.ready(raw_token)
            return
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"{options['serve']}", "--noreload"])
        # Stopped from outside (a terminal closing, a supervisor): stop the server with it, never leave it behind.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            self.wait_until_answering(server, *serve)
            self.ready(raw_token)
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait()

    def wait_until_answering(self, server: subprocess.Popen, host: str, port: int) -> None:
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/favicon.ico"
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not answers(url):
            if server.poll() is not None:
                raise CommandError(f"The development server stopped (exit {server.returncode}) before answering.")
            if time.monotonic() > deadline:
                raise CommandError(f"The development server did not answer at {url} within {SERVER_START_SECONDS}s.")
            time.sleep(0.2)

    def ready(self, raw_token: str) -> None:
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
