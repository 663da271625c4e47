"""The one form a page path is stored in, however the browser or a script spelled it.

Paths are stored decoded, as people read them and as Plausible stores them: `/%C3%A9t%C3%A9`
and `/été` are both `/été`, and `/%41` is `/A`. Three kinds of byte stay percent-encoded
(upper-case hex), so that what is stored is always valid text and means one thing:

- `%` itself is always `%25`, so a stored path never contains an escape that a second decoding would change;
- bytes that are not UTF-8 (`%FF`, a lone `%ED%A0%80` surrogate) stay escaped;
- control characters (`%00`, `%0A`, DEL, C1) stay escaped, whether they came encoded or raw.

`%2F` decodes to `/` like any other character, as in Plausible: the dashboard shows one page.
"""

import re
from urllib.parse import urlsplit

from analytics.models import PATH_MAX_LENGTH
from analytics.text import UNSTORABLE

ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
UNDECODABLE = re.compile(r"[\udc80-\udcff]")
PERCENT = 0x25


def page_path(url: str) -> str:
    """The URL's path only: query strings and fragments can carry personal data (emails, tokens)."""
    return canonical_path(urlsplit(url).path or "/")


def canonical_path(path: str) -> str:
    """`path` decoded as the module says, cut to `PATH_MAX_LENGTH` without splitting an escape.

    Applying it twice changes nothing; the result has no control character or surrogate.
    """
    raw = ESCAPE.sub(unescape_unless_percent, path.encode("utf-8", "surrogatepass"))
    # Undecodable bytes come back as lone surrogates U+DC80..U+DCFF, re-escaped below.
    text = raw.decode("utf-8", "surrogateescape")
    text = text.replace("%", "%25")
    text = UNDECODABLE.sub(lambda byte: f"%{ord(byte[0]) - 0xDC00:02X}", text)
    text = UNSTORABLE.sub(escape, text)
    return re.sub(r"%[0-9A-F]?$", "", text[:PATH_MAX_LENGTH]) or "/"


def unescape_unless_percent(match: re.Match[bytes]) -> bytes:
    byte = int(match[1], 16)
    # A decoded `%` would be re-escaped anyway; keeping it out of the byte stream is what makes `%2541` stay itself.
    return bytes([byte]) if byte != PERCENT else b"%"


def escape(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match[0].encode("utf-8", "surrogatepass"))
