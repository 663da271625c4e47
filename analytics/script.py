"""Serving the app's own scripts that other sites load: the tracker at `/js/script.js` (and the share page's
embed host script, which sharing serves the same way)."""

from collections.abc import Callable
from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

# Short enough that a fix to a script reaches every site within the hour.
SCRIPT_CACHE_CONTROL = "public, max-age=3600"


def script_view(static_path: str) -> Callable[[HttpRequest], HttpResponse]:
    """A view serving one file of the static files, read once per process, gzipped when the client accepts it."""

    @cache
    def script_bytes() -> bytes:
        with open(finders.find(static_path), "rb") as script:
            return script.read()

    @require_safe
    @gzip_page
    def serve_script(request: HttpRequest) -> HttpResponse:
        return HttpResponse(
            script_bytes(),
            content_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": SCRIPT_CACHE_CONTROL},
        )

    serve_script.script_bytes = script_bytes
    return serve_script


tracking_script = script_view("js/script.js")
