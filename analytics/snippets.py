"""The exact tag a site owner pastes into their pages to start collecting."""

from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from analytics.models import Site


def install_snippet(site: Site) -> str:
    """One deferred script tag: it never delays the page, and `data-domain` picks the site.

    A plain string (not marked safe), so wherever it is displayed it is shown as text.
    """
    return (
        f'<script defer data-domain="{escape(site.domain)}" '
        f'src="{escape(settings.GLIMPSE_BASE_URL)}/js/script.js"></script>'
    )


LOCAL_TESTING = gettext_lazy(
    "Testing on localhost or 127.0.0.1? Add <code>data-allow-local</code> to the tag: without it the script "
    "sends nothing from local pages, and says so in the browser console. Also list that host under Allowed "
    "hostnames, next to your domain: otherwise its pageviews are dropped and counted."
)


def install_snippet_html(site: Site) -> SafeString:
    """The snippet shown as text in a read-only block that selects whole on click, with a Copy button
    (static/glimpse/admin-site.js) and the one line a first local test needs."""
    return format_html(
        '<div class="glimpse-snippet"><pre id="glimpse-snippet" style="user-select: all; white-space: pre-wrap">{}'
        '</pre><button type="button" class="button" data-copy-from="glimpse-snippet" data-copied="{}" '
        'data-press-ctrl-c="{}">{}</button></div>'
        '<div class="help glimpse-local-testing">{}</div>',
        install_snippet(site),
        gettext("Copied!"),
        gettext("Press Ctrl+C"),
        gettext("Copy"),
        mark_safe(LOCAL_TESTING),  # a constant of this module, markup included
    )
