"""The language a rendered page speaks: `?lang=`, else the share link's own language, else the browser's.

Only pages are translated. Everything under `/api/` (the public stats API, the schema, `/api/event`) and the
scripts stay language-neutral: their bodies are data, the same bytes for every reader, so they neither read
`Accept-Language` nor vary on it, and a shared cache keeps one copy. A page answers in the language it
chose, says so in `Content-Language`, and varies on `Accept-Language` (Django's `LocaleMiddleware` does the
choosing from the header and the per-request activation; this class adds the query parameter and the
exemption). The choice is made per request: no cookie or session remembers it, because a share page is
read by people who never chose anything.
"""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

LANGUAGE_NEUTRAL_PATH = re.compile(r"^/(api|js)/")
LANG_PARAMETER = "lang"
# A language code is short; anything longer is not looked up at all.
MAX_LANG_LENGTH = 16


def supported_language(code: str | None) -> str | None:
    """`de`, `pt-br`, `zh-hans` for a code Glimpse ships (any case, `_` or `-`), None for anything else."""
    if not code or len(code) > MAX_LANG_LENGTH:
        return None
    wanted = code.strip().lower().replace("_", "-")
    return next((language for language, _name in settings.LANGUAGES if language == wanted), None)


def requested_language(request: HttpRequest) -> str | None:
    """The reader's explicit choice in the URL, if it names a shipped language."""
    return supported_language(request.GET.get(LANG_PARAMETER))


def use_link_language(request: HttpRequest, language: str) -> None:
    """A share link's own language, when its owner chose one: it beats the browser's, never `?lang=`."""
    if requested_language(request) is None and supported_language(language):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class ReaderLanguage(LocaleMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponse:
        if LANGUAGE_NEUTRAL_PATH.match(request.path_info):
            with translation.override(settings.LANGUAGE_CODE):
                return self.get_response(request)
        with translation.override(None):
            return super().__call__(request)

    def process_request(self, request: HttpRequest) -> None:
        language = requested_language(request) or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
