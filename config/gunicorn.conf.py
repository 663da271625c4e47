"""gunicorn in production: `gunicorn -c config/gunicorn.conf.py` (the Procfile's `web:`).

Loading this file refuses to start with a missing or committed SECRET_KEY (one line on
stderr, exit status 1) unless DEBUG is on; see `config.secret_key`.
"""

import os

from prometheus_client import multiprocess

from config.secret_key import refuse_to_serve_with_unsafe_secret_key

refuse_to_serve_with_unsafe_secret_key()

wsgi_app = "config.wsgi:application"
# Loopback unless told otherwise: behind nginx, clients must not reach gunicorn (and forge X-Forwarded-For). A
# platform that routes to $PORT itself sets GUNICORN_BIND=0.0.0.0:$PORT.
bind = [os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, so a request waiting on Redis (every accepted event's XADD) or the database leaves its core to another
# and a kept-alive connection is not reopened per request: 2 workers of 4 threads accepted about 1.6 times the
# events/s of 2 sync workers. A thread is not killed by `timeout` (the worker's heartbeat goes on): slow clients
# are nginx's to absorb, as before (docs/deployment.md).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Idle keep-alive connections from nginx stay open this long: longer than nginx's upstream keepalive_timeout
# (30 s, deploy/nginx/glimpse.conf), so nginx always closes an idle connection first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "35"))

# A worker told to stop (TERM to the master, HUP's new generation, or its own max_requests reached) stops accepting,
# finishes every request it has begun within graceful_timeout seconds, then exits, handing its in-process counts
# (use counts, dropped events) to the database at exit. nginx sends each request on a new connection, so none
# is cut on an idle kept-alive one. Recycling bounds a worker's memory; the jitter keeps workers from restarting
# together. Only `kill -9` loses a request, one it had not answered: the event endpoint's client is told 503.
# A new worker costs about 0.8 s of CPU (importing the app, then its first event) and the other worker carries the
# load meanwhile: after every 20,000 requests, at 1,000 events/s a worker, that was 40 us a request and a p99 spike
# every 20 s. After 200,000 a worker lives minutes at full load, hours at ordinary traffic.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10

# One line per request on stdout: time, method, path, status, bytes, duration. No client
# address and no query string; a share-page path keeps only the token's display prefix.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "config.gunicorn_logging.GlimpseLogger"


def child_exit(server, worker) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, a worker that exits leaves its counters; its live gauges go with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
