import getpass
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from sharing.owners import create_site_owner


class Command(BaseCommand):
    help = "Create a staff user who manages only their own sites and share links in the admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Prompted for when left out (and a terminal is attached)")

    def handle(self, *args, **options) -> None:
        password = options["password"] or self.ask_password()
        try:
            user = create_site_owner(username=options["username"], email=options["email"], password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        login = f"{settings.GLIMPSE_BASE_URL}{reverse('admin:index')}"
        self.stdout.write(f"Created site owner {user.get_username()!r}. They can log in at {login}")

    def ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("Pass --password, or run the command in a terminal to be asked for one.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password
