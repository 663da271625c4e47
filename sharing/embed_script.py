"""Serving the embed host script at `/js/embed.js`, next to the tracking script at `/js/script.js`."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

EMBED_SCRIPT_PATH = "js/embed.js"
# As the tracking script: a fix reaches every host page within the hour.
EMBED_SCRIPT_CACHE_CONTROL = "public, max-age=3600"


@cache
def embed_script_bytes() -> bytes:
    with open(finders.find(EMBED_SCRIPT_PATH), "rb") as script:
        return script.read()


@require_safe
@gzip_page
def embed_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        embed_script_bytes(),
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": EMBED_SCRIPT_CACHE_CONTROL},
    )
