"""The exact tag a site owner pastes into their pages to start collecting."""

from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from analytics.models import Site


def install_snippet(site: Site) -> str:
    """One deferred script tag: it never delays the page, and `data-domain` picks the site.

    A plain string (not marked safe), so wherever it is displayed it is shown as text.
    """
    return (
        f'<script defer data-domain="{escape(site.domain)}" '
        f'src="{escape(settings.GLIMPSE_BASE_URL)}/js/script.js"></script>'
    )


def install_snippet_html(site: Site) -> SafeString:
    """The snippet shown as text in a read-only block that selects whole on click."""
    return format_html('<pre style="user-select: all; white-space: pre-wrap">{}</pre>', install_snippet(site))
