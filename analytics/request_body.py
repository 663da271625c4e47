"""Reading at most a fixed number of bytes of a request body, whether or not it declares its length."""

from django.http import HttpRequest


def read_capped_body(request: HttpRequest, *, limit: int) -> bytes:
    """At most `limit + 1` bytes of the body, so a caller can tell "exactly at the limit" from "over it".

    With a `Content-Length`, Django's stream stops at the declared length. A chunked body
    has none, and Django then reads nothing; the WSGI server's own stream is read instead
    when the server promises that it ends with the body (`wsgi.input_terminated`, which
    gunicorn sets and which it meets by decoding the chunks). Never more is read than the
    cap, whatever the client keeps sending.
    """
    declared = request.META.get("CONTENT_LENGTH")
    if declared or not is_chunked(request) or not request.environ.get("wsgi.input_terminated"):
        return request.read(limit + 1)
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
