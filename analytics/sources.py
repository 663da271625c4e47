"""Where a session came from: a campaign tag, another site, or nowhere in particular (`direct`)."""

from urllib.parse import parse_qs, urlsplit

from analytics.domains import normalize_domain
from analytics.text import printable

DIRECT = "direct"
SOURCE_MAX_LENGTH = 255


def session_source(*, url: str, referrer: str, site_domain: str) -> str:
    """`utm_source` of the page URL, else the referrer's bare host, else `direct`.

    A referrer on the site itself (its registered domain or the host the page was
    served from) is an internal navigation, not a source, so it counts as `direct`.
    `utm_source` is percent-decoded, so control characters (`%00`) are removed from it.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return DIRECT
    utm_source = printable(parse_qs(parts.query).get("utm_source", [""])[0]).strip()
    if utm_source:
        return utm_source[:SOURCE_MAX_LENGTH]
    referrer_host = printable(normalize_domain(referrer)) if referrer else ""
    if not referrer_host or referrer_host in {site_domain, normalize_domain(url)}:
        return DIRECT
    return referrer_host[:SOURCE_MAX_LENGTH]
