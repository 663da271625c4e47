"""gunicorn in production: `gunicorn -c config/gunicorn.conf.py` (the Procfile's `web:`).

Loading this file refuses to start with a missing or committed SECRET_KEY (one line on
stderr, exit status 1) unless DEBUG is on; see `config.secret_key`.
"""

import os

from config.secret_key import refuse_to_serve_with_unsafe_secret_key

refuse_to_serve_with_unsafe_secret_key()

wsgi_app = "config.wsgi:application"
# Behind nginx, GUNICORN_BIND=127.0.0.1:8000 keeps clients from reaching gunicorn (and forging X-Forwarded-For).
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"

# One line per request on stdout: time, method, path, status, bytes, duration. No client
# address and no query string; a share-page path keeps only the token's display prefix.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "config.gunicorn_logging.GlimpseLogger"
