from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sharing.models import ShareToken
from sharing.services import revoke_share_token
from sharing.tokens import token_digest


class Command(BaseCommand):
    help = "Revoke a share token, given the whole token or its display prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="The raw token, or the display prefix shown in the admin")

    def handle(self, *args, **options) -> None:
        text = options["token"].strip().rstrip("…")
        matches = list(ShareToken.objects.filter(digest=token_digest(text)))
        if not matches:
            matches = list(ShareToken.objects.filter(display_prefix=text)) if text else []
        if not matches:
            raise CommandError("No share token matches that token or prefix.")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} tokens share that prefix; pass the whole token instead.")
        share_token = matches[0]
        if revoke_share_token(share_token, now=timezone.now()):
            self.stdout.write(f"Revoked {share_token}. It stops working immediately.")
        else:
            self.stdout.write(f"{share_token} was already revoked.")
