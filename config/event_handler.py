"""`POST /api/event` through the middleware it needs and no more: the hottest path skips what pages for people use.

Every beacon of every tracked site lands on one URL, and the full middleware stack
(sessions, CSRF, authentication, messages, the login lockout, static files) and the
walk through the whole URLconf cost more of the web process than the event itself.
None of them does anything for this endpoint: it reads no cookie and sets none, takes
no CSRF token, has no user, and is never a static file. `settings.EVENT_MIDDLEWARE`
is `MIDDLEWARE` without those, so the event's answer keeps every header it had (the
security headers, the public API's CORS headers, `X-Frame-Options`, `Content-Length`)
and the host check, and a middleware added to `MIDDLEWARE` later applies here too
unless it is named as one the endpoint does not need.

`EventDispatch`, the application `config.wsgi` serves, sends the one path to
`EventHandler` and everything else to Django's usual handler.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest
from django.urls import ResolverMatch, resolve, reverse
from django.utils.module_loading import import_string

EVENT_URL_NAME = "event"


class EventRequest(WSGIRequest):
    """A request that reads of its `Content-Type` only the media type, which is all the endpoint looks at.

    Django parses the whole header with the `email` package for every request, a tenth of
    an event's in-process CPU; the endpoint decodes every body as UTF-8 (JSON's encoding)
    whatever charset it names, and reads no form or query string that the charset would decode.
    """

    def _set_content_type_params(self, meta: dict) -> None:
        self.content_type = meta.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        self.content_params = {}


class EventHandler(WSGIHandler):
    """Django's WSGI handler with `settings.EVENT_MIDDLEWARE` and the event view resolved once, at start-up."""

    request_class = EventRequest

    def __init__(self) -> None:
        super().__init__()
        self.path = reverse(EVENT_URL_NAME)
        self.match: ResolverMatch = resolve(self.path)

    def load_middleware(self, is_async: bool = False) -> None:
        """`BaseHandler.load_middleware` for a list of plain synchronous middleware, read from another setting."""
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.EVENT_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        request.resolver_match = self.match
        return self.match


WsgiApplication = Callable[[dict, Callable], Iterable[bytes]]


class EventDispatch:
    """The event path to `events`, every other request to `site`."""

    def __init__(self, *, site: WsgiApplication, events: EventHandler) -> None:
        self.site = site
        self.events = events

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == self.events.path:
            return self.events(environ, start_response)
        return self.site(environ, start_response)
