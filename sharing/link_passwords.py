"""Password-protected share links (docs/definitions.md, "Share tokens").

A link may have a password on top of its token. Only Django's hash of it is stored
(`make_password`, the project's `PASSWORD_HASHERS`); the password itself never reaches the
database, a URL, a log line or the admin history.

- **Share page**: the reader types it once per browser session. A right guess sets a signed
  cookie without an expiry (it ends with the browser session) that lists the links unlocked in
  this browser, each with a fingerprint of its current hash, so changing or removing the
  password locks every reader out again. The cookie holds no password and no token.
- **API**: the password travels in the `X-Share-Password` request header, never in the query
  string (where it would end up in access logs, proxies and browser history).

Every password guess, page or API, counts against a per-client limit (`SHARE_PASSWORD_RATE`),
counted the way the token limit is (`PublicStatsThrottle`), so a password cannot be guessed
faster than a token.
"""

import enum
import math
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from sharing.models import ShareToken
from sharing.throttling import PublicStatsThrottle

MIN_LENGTH = 8
MAX_LENGTH = 128
PASSWORD_HEADER = "X-Share-Password"
UNLOCK_COOKIE = "glimpse_share_unlock"
UNLOCK_SALT = "sharing.link_passwords.unlock"
UNLOCK_COOKIE_PATH = "/share/"
MAX_UNLOCKED = 20


class SharePasswordThrottle(PublicStatsThrottle):
    """Password guesses per client, in fixed windows like the token limit; off when the rate is empty."""

    scope = "share_password"

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope)


class Attempt(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    TOO_MANY = "too many"


def hashed_link_password(raw: str) -> str:
    if not MIN_LENGTH <= len(raw) <= MAX_LENGTH:
        raise ValidationError(
            gettext("A link password has %(min)s to %(max)s characters.") % {"min": MIN_LENGTH, "max": MAX_LENGTH}
        )
    return make_password(raw)


def try_password(request: HttpRequest, share_token: ShareToken, raw: str) -> tuple[Attempt, int]:
    """Count one guess for this client, then check it: (outcome, seconds to wait when there were too many).

    Over the limit the guess is not even checked, the right password included: otherwise the
    limit would only slow down wrong guesses, and guessing would go on at full speed.
    """
    throttle = SharePasswordThrottle()
    if not throttle.allow_request(request, None):
        return Attempt.TOO_MANY, math.ceil(throttle.wait())
    if share_token.has_password and check_password(raw, share_token.password_hash):
        return Attempt.RIGHT, 0
    return Attempt.WRONG, 0


def unlock_fingerprint(share_token: ShareToken) -> str:
    """Changes whenever the link's password changes; reveals nothing about it."""
    return salted_hmac(UNLOCK_SALT, share_token.password_hash).hexdigest()[:20]


def unlocked_links(request: HttpRequest) -> dict[str, str]:
    value = request.COOKIES.get(UNLOCK_COOKIE)
    if not value:
        return {}
    try:
        links = signing.loads(value, salt=UNLOCK_SALT)
    except signing.BadSignature:
        return {}
    return links if isinstance(links, dict) else {}


def is_unlocked(request: HttpRequest, share_token: ShareToken) -> bool:
    """A link without a password is always open; one with a password, once this browser session typed it."""
    if not share_token.has_password:
        return True
    return unlocked_links(request).get(str(share_token.pk)) == unlock_fingerprint(share_token)


def remember_unlock(request: HttpRequest, response: HttpResponse, share_token: ShareToken) -> None:
    """Add the link to this browser session's unlocked links (the newest `MAX_UNLOCKED`).

    No `max_age`: a session cookie, gone when the browser session ends. Over HTTPS it is
    `SameSite=None`, so a password-protected link still opens inside a frame on another site
    (where the browser accepts such cookies); over plain HTTP browsers refuse that, so `Lax`.
    """
    links = {key: value for key, value in unlocked_links(request).items() if key != str(share_token.pk)}
    links[str(share_token.pk)] = unlock_fingerprint(share_token)
    kept = dict(list(links.items())[-MAX_UNLOCKED:])
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        UNLOCK_COOKIE,
        signing.dumps(kept, salt=UNLOCK_SALT),
        path=UNLOCK_COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
    )


def api_password_check(request: HttpRequest) -> Callable[[ShareToken], bool]:
    """How the API decides whether a request may read a password-protected link: the header, counted as a guess."""

    def unlocked(share_token: ShareToken) -> bool:
        if not share_token.has_password:
            return True
        raw = request.headers.get(PASSWORD_HEADER, "")
        if not raw:
            return False
        outcome, retry_after = try_password(request, share_token, raw)
        if outcome is Attempt.TOO_MANY:
            raise TooManyPasswordGuesses(retry_after=retry_after)
        return outcome is Attempt.RIGHT

    return unlocked


class TooManyPasswordGuesses(Exception):
    def __init__(self, *, retry_after: int) -> None:
        super().__init__("Too many password guesses")
        self.retry_after = retry_after
