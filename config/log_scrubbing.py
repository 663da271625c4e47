"""Share tokens never reach a log line: every line is cut down to at most a token's display prefix.
Share-link passwords never reach one at all: a `password=` value or an `X-Share-Password` header is removed.

A share token is a bearer secret that travels in URLs (`/share/<token>/`, `?token=…`), and
URLs are what logs are made of: access logs, Django's "Not Found: /share/…", tracebacks,
a Referer header. Logs are kept for long, copied to other systems and read by more people
than the admin, so a token in a log is a leaked token. This module is the one place that
knows what a token looks like in text; the logging filters and the gunicorn logger use it.
"""

import re
from urllib.parse import unquote

from sharing.tokens import TOKEN_PREFIX, display_prefix

# Garbage in a token's place may still be a real token with a typo; show less of it.
GARBAGE_PREFIX_LENGTH = 6
ELLIPSIS = "..."

# Invitation and password-reset links (`/invitations/<token>/`, `/password-reset/<uid>/<token>/`) carry bearer
# secrets too, cut down the same way.
SHARE_PAGE_SEGMENT = re.compile(r"(/(?:share|invitations)/|/password-reset/[^/?#\s\"'<>]+/)([^/?#\s\"'<>]+)")
TOKEN_PARAMETER = re.compile(r"(token=)([^&;\s\"'#<>]*)", re.IGNORECASE)
BARE_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{7,}")
# Passwords go in a form body or a header, never a URL; whoever puts one in a URL anyway loses it here.
PASSWORD_PARAMETER = re.compile(r"(password=)([^&;\s\"'#<>]+)", re.IGNORECASE)
PASSWORD_HEADER = re.compile(r"(x-share-password[\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)", re.IGNORECASE)
REMOVED = "[removed]"


def shorten(value: str) -> str:
    """What may be shown of a value that stood where a token goes."""
    kept = display_prefix(value) if value.startswith(TOKEN_PREFIX) else value[:GARBAGE_PREFIX_LENGTH]
    return value if kept == value else kept + ELLIPSIS


def _shorten_match(match: re.Match) -> str:
    return match.group(1) + shorten(match.group(2))


def _scrub_plain(text: str) -> str:
    text = SHARE_PAGE_SEGMENT.sub(_shorten_match, text)
    text = TOKEN_PARAMETER.sub(_shorten_match, text)
    text = PASSWORD_PARAMETER.sub(lambda match: match.group(1) + REMOVED, text)
    text = PASSWORD_HEADER.sub(lambda match: match.group(1) + REMOVED, text)
    return BARE_TOKEN.sub(lambda match: shorten(match.group(0)), text)


def scrub(text: str) -> str:
    """`text` with every share token, share-page path segment and `token=` value cut down.

    A percent-encoded URL (a raw request line, a Referer) is decoded once, as Django
    decodes it before looking the token up; if that reveals something to cut, the decoded,
    scrubbed form is what gets logged.
    """
    scrubbed = _scrub_plain(text)
    if "%" in text:
        decoded = unquote(text)
        scrubbed_decoded = _scrub_plain(decoded)
        if scrubbed_decoded != decoded:
            return scrubbed_decoded
    return scrubbed
