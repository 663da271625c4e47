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


def json_exception_handler(exc: Exception, context: dict) -> Response:
    response = exception_handler(exc, context)
    if response is None:
        logger.error("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response({"error": INTERNAL_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    message = MESSAGES.get(response.status_code)
    if message is None:
        message = exc.detail if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, str) else "Error"
    response.data = {"error": str(message)}
    return response


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"error": "Not found"}, status=404, headers={"Cache-Control": "no-store"})
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"error": INTERNAL_ERROR}, status=500, headers={"Cache-Control": "no-store"})
    return defaults.server_error(request)
