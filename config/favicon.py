"""`/favicon.ico`, which browsers ask for on every origin whatever a page links to."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

FAVICON_PATH = "glimpse/favicon.ico"


@cache
def favicon_bytes() -> bytes:
    with open(finders.find(FAVICON_PATH), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        favicon_bytes(), content_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )
