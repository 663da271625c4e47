"""Which sites may frame a share link (`frame-ancestors`), and the page's own Content-Security-Policy.

A link lists the origins allowed to embed it; an empty list means any origin, as share pages
always allowed. The list goes straight into a response header, so only exact origins are
accepted — scheme, host and optional port, nothing else — which also keeps a stored value from
ever adding another directive to the policy.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MAX_ORIGINS = 20
ORIGIN = re.compile(
    r"^https?://"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[0-9]{1,5})?$"
)
BASE_POLICY = ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"]


def checked_origins(origins: list[str] | tuple[str, ...]) -> list[str]:
    """Origins as browsers write them (lowercase, no trailing slash), once each, in the order given."""
    cleaned: list[str] = []
    for raw in origins:
        origin = raw.strip().lower().removesuffix("/")
        if not origin:
            continue
        if not ORIGIN.fullmatch(origin):
            raise ValidationError(
                gettext(
                    "%(origin)r is not an origin. Write it as https://example.com (scheme, host and an "
                    "optional port; no path)."
                )
                % {"origin": raw.strip()}
            )
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise ValidationError(
            gettext("At most %(count)s origins; leave the list empty to allow any site.") % {"count": MAX_ORIGINS}
        )
    return cleaned


def frame_ancestors(origins: list[str]) -> str:
    return " ".join(origins) if origins else "*"


def content_security_policy(origins: list[str]) -> str:
    """Everything from this origin; framing open to `origins`, or to any site when there are none."""
    return "; ".join([*BASE_POLICY, f"frame-ancestors {frame_ancestors(origins)}"])


def origins_text(origins: list[str]) -> str:
    return ", ".join(origins) if origins else gettext("Any site")
