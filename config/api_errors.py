"""Every API error is JSON `{"error": "…"}`: no HTML page, no traceback, whatever went wrong."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("glimpse.api")

MESSAGES = {
    status.HTTP_400_BAD_REQUEST: "Bad request",
    status.HTTP_404_NOT_FOUND: "Not found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "Method not allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "Not acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    status.HTTP_429_TOO_MANY_REQUESTS: "Too many requests",
}
INTERNAL_ERROR = "Internal server error"
FORBIDDEN = "Forbidden"
NO_STORE = {"Cache-Control": "no-store"}


def json_exception_handler(exc: Exception, context: dict) -> Response:
    response = exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error(
            "Unhandled error in %s (%s %s)",
            context.get("view").__class__.__name__,
            getattr(request, "method", "-"),
            getattr(request, "path", "-"),
            exc_info=exc,
        )
        response = Response({"error": INTERNAL_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        # Logged here with its traceback; Django would log the same 500 again, without one,
        # as "Internal Server Error: …". This is the flag Django's own log_response sets.
        response._has_been_logged = True
        return response
    message = MESSAGES.get(response.status_code)
    if message is None:
        message = exc.detail if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, str) else "Error"
    response.data = {"error": str(message)}
    return response


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def json_error(status_code: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status_code, headers=NO_STORE)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Also what a request with a Host header outside ALLOWED_HOSTS gets."""
    if is_api(request):
        return json_error(400, MESSAGES[400])
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(403, FORBIDDEN)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(404, MESSAGES[404])
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error(500, INTERNAL_ERROR)
    return defaults.server_error(request)
