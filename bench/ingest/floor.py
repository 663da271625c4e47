"""What the server costs without the app: WSGI applications for `bench.ingest --floor`, served by gunicorn as the
Procfile starts it (same config, workers and threads) behind the same nginx, under the same wrk load.

`plain` reads the body and answers an empty 202, as an accepted event is answered: gunicorn's CPU per request is
then nginx-to-gunicorn HTTP, sockets, threads and the WSGI call alone. `redis` adds one Redis round trip (a PING on
`REDIS_URL`), which every accepted event makes: what a request that waits on Redis costs a threaded worker beyond
the round trip's own client code. `bench.ingest`'s figure minus these is what Django and the endpoint cost.
"""

import os

from redis import Redis

ANSWER = ("202 Accepted", [("Content-Length", "0"), ("Cache-Control", "no-store")])
_client = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=0.5)


def plain(environ: dict, start_response) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response(*ANSWER)
    return [b""]


def redis(environ: dict, start_response) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    _client.ping()
    start_response(*ANSWER)
    return [b""]
