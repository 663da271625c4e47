"""Serving the tracking script at `/js/script.js`, the URL site owners paste into their pages."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

SCRIPT_PATH = "js/script.js"
# Short enough that a fix to the script reaches every site within the hour.
SCRIPT_CACHE_CONTROL = "public, max-age=3600"


@cache
def script_bytes() -> bytes:
    with open(finders.find(SCRIPT_PATH), "rb") as script:
        return script.read()


@require_safe
@gzip_page
def tracking_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        script_bytes(),
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": SCRIPT_CACHE_CONTROL},
    )
