import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from analytics.queue_checks import check_queue_durability
from config.event_handler import EventDispatch, EventHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

site_application = get_wsgi_application()
# A Redis that would lose accepted events is named at start; with QUEUE_DURABILITY_CHECK=refuse the worker fails to
# boot, which stops gunicorn.
check_queue_durability()
get_resolver().url_patterns  # noqa: B018 - import every view now rather than on the first request
application = EventDispatch(site=site_application, events=EventHandler())
gc.freeze()  # the loaded app is never garbage: the collector's full passes need not walk it on every request
