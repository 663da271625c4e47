"""A HEAD response carries the GET response's headers and no body.

Django leaves dropping the body to the server. gunicorn does drop it, but warns once per
request ("WSGI app sent body bytes on a no-body response"), so every HEAD from a monitor
or a link checker cost a log line. Emptying the body here, outermost, after the inner
middleware has set Content-Length from the real body, keeps the headers a GET would get.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class HeadWithoutBody:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []
            else:
                response.content = b""
        return response
