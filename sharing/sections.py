"""The sections a share link may show or hide, named after the API's list fields.

A hidden section is left out of the share page and its CSV, and its list comes back empty
from the API, so the response keeps the documented shape (docs/definitions.md, "Share tokens").
The headline numbers are always shown: they are what a link is for.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

SECTIONS: dict[str, str] = {
    "daily": gettext_lazy("Chart and daily numbers"),
    "pages": gettext_lazy("Top pages"),
    "referrers": gettext_lazy("Top sources"),
    "devices": gettext_lazy("Devices"),
    "browsers": gettext_lazy("Browsers"),
    "countries": gettext_lazy("Countries"),
}


def checked_sections(sections: list[str] | tuple[str, ...]) -> list[str]:
    """Known sections only, stored once each in the order above."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValidationError(
            gettext("Unknown section(s): %(unknown)s. Choose from %(known)s.")
            % {"unknown": ", ".join(sorted(unknown)), "known": ", ".join(SECTIONS)}
        )
    return [name for name in SECTIONS if name in set(sections)]


def sections_text(hidden: list[str]) -> str:
    """How the admin and the history name a link's sections: `All sections`, or the ones shown."""
    if not hidden:
        return gettext("All sections")
    shown = [str(label) for name, label in SECTIONS.items() if name not in hidden]
    return ", ".join(shown) if shown else gettext("Headline numbers only")
