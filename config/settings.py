"""Glimpse settings: one module, driven by environment variables.

With no environment at all it runs on a local SQLite file and an in-process cache,
so a newcomer needs nothing but Python. DATABASE_URL and REDIS_URL switch to
PostgreSQL and Redis.
"""

import datetime as dt
import ipaddress
import warnings
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy

from config.clock import set_clock_offset
from config.log_repeats import DEFAULT_INTERVAL_SECONDS
from config.secret_key import default_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# No key is committed for production: see config.secret_key (`make demo` makes one in var/).
SECRET_KEY = env.str("SECRET_KEY", default=default_secret_key(debug=DEBUG))
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
GLIMPSE_BASE_URL = env.str("GLIMPSE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "analytics",
    "sharing",
    "teams",
]

MIDDLEWARE = [
    "config.request_metrics.RequestMetrics",
    "config.head_requests.HeadWithoutBody",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.public_api_headers.PublicApiHeaders",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.reader_language.ReaderLanguage",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.read_pinning.PinReadsAfterWrites",
    "django_otp.middleware.OTPMiddleware",
    "teams.two_factor.TwoFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.login_networks.LoginPausedForNetwork",
]
# `POST /api/event` (config.event_handler) reads no cookie, has no user and takes no CSRF token; every
# other middleware, the security headers and the public API's CORS headers among them, applies to it too.
NOT_FOR_EVENTS = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.reader_language.ReaderLanguage",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.read_pinning.PinReadsAfterWrites",
    "django_otp.middleware.OTPMiddleware",
    "teams.two_factor.TwoFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.login_networks.LoginPausedForNetwork",
}
EVENT_MIDDLEWARE = [path for path in MIDDLEWARE if path not in NOT_FOR_EVENTS]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------
# SQLite by default; DATABASE_URL=postgres://user@host:5432/name uses psycopg 3.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'glimpse.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Behind a transaction-pooling PgBouncer each transaction may run on another server connection, so
    # nothing may outlive one: no server-side cursors (Django holds them open across transactions), no
    # prepared statements unless PgBouncer tracks them (1.21+, max_prepared_statements), no startup
    # options (PgBouncer refuses them: set them on the role instead, docs/deployment.md).
    behind_pooler = env.bool("DATABASE_BEHIND_POOLER", default=False)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = behind_pooler
    # Lets the per-request token lookup be a prepared statement (see sharing.token_lookup);
    # empty switches preparing off, as a transaction-pooling PgBouncer before 1.21 needs.
    prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="" if behind_pooler else "5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(prepare_threshold) if prepare_threshold else None
    )
    # Every query reads or writes one site's rows through an index; a parallel plan, which a
    # high row estimate can bring on, spent 20 ms starting workers for a 1 ms read, and JIT
    # compiles such queries for longer than they run. Empty sends no startup options (for a
    # connection pooler that refuses them).
    session_options = env.str(
        "DATABASE_SESSION_OPTIONS", default="" if behind_pooler else "-c max_parallel_workers_per_gather=0 -c jit=off"
    )
    if session_options:
        DATABASES["default"]["OPTIONS"]["options"] = session_options

# --- Read replicas (analytics.read_replicas; docs/deployment.md) ----------------------
# PostgreSQL streaming replicas, comma-separated URLs, as aliases replica1, replica2, …: statistics are
# read there while a replica is at most REPLICA_MAX_LAG_SECONDS behind; everything else stays on the
# primary. They take the primary's connection settings; tests read them from the primary's database.
for number, url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    replica = environ.Env.db_url_config(url)
    replica["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    replica["DISABLE_SERVER_SIDE_CURSORS"] = DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    if replica["ENGINE"] == DATABASES["default"]["ENGINE"]:
        replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **replica.get("OPTIONS", {})}
    if replica["ENGINE"] == "django.db.backends.postgresql":
        # A replica host that is down costs a request this long, then is skipped (analytics.read_replicas).
        replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{number}"] = replica
DATABASE_ROUTERS = ["analytics.read_replicas.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=10.0)
# After an owner's change in the admin (any POST), their statistics come from the primary this long.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)

# --- Cache -------------------------------------------------------------------
# Redis when REDIS_URL is set. An unreachable Redis means "no cache", not errors:
# django-redis swallows the failure and logs a warning.
REDIS_URL = env.str("REDIS_URL", default="")
# With Redis Sentinel: REDIS_SENTINELS=host:26379,host:26379 and REDIS_URL=redis://<service name>/<db>. Every
# command, reads included, goes to the primary the sentinels name: the stream, the rate limits and one-time
# hand-overs must read what was just written, which a replica may not have yet.
REDIS_SENTINELS = [
    (host.strip("[]"), int(port))
    for host, _, port in (entry.rpartition(":") for entry in env.list("REDIS_SENTINELS", default=[]))
]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "glimpse",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    if REDIS_SENTINELS:
        CACHES["default"]["OPTIONS"].update(
            {
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": REDIS_SENTINELS,
                "SENTINEL_KWARGS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
            }
        )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "glimpse",
            "KEY_PREFIX": "glimpse",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "glimpse.cache"

# --- Glimpse -----------------------------------------------------------------
STATS_CACHE_SECONDS = env.int("STATS_CACHE_SECONDS", default=300)
# A share link found active is copied into the cache for this long, read only while the database cannot answer
# its lookup (sharing/token_copies.py): cached statistics keep being served through an outage. 0 turns it off.
TOKEN_COPY_SECONDS = env.int("TOKEN_COPY_SECONDS", default=900)
# Number of reverse proxies in front of the app; X-Forwarded-For is trusted only this far.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Trust a country header set by a known proxy (e.g. CF-IPCountry). Spoofable otherwise.
TRUSTED_COUNTRY_HEADER = env.str("TRUSTED_COUNTRY_HEADER", default="")
PUBLIC_STATS_RATE = env.str("PUBLIC_STATS_RATE", default="120/min")
# Off: plain ORM token lookups and no per-process copies of cached stats (debugging, Django upgrades).
GLIMPSE_FAST_PATHS = env.bool("GLIMPSE_FAST_PATHS", default=True)
# The Redis holding the event queue (analytics.event_queue): persistent and non-evicting, so it may be another
# database or instance than the cache's.
QUEUE_REDIS_URL = env.str("QUEUE_REDIS_URL", default=REDIS_URL)
# Accepted events go through a Redis Stream to the ingest workers (`manage.py ingest_events`); off, or without
# Redis, each event is written at once as a batch of one.
INGEST_QUEUE = env.bool("INGEST_QUEUE", default=bool(QUEUE_REDIS_URL))
# At most this many events wait in the queue (about 132 bytes of Redis memory each); past it, events are refused with
# 503 and Retry-After rather than trimming accepted ones. 1,000,000 is about 130 MB, an hour of 280 events/s.
EVENT_QUEUE_MAX_LENGTH = env.int("EVENT_QUEUE_MAX_LENGTH", default=1_000_000)
# Each web process keeps the events it queued in the last QUEUE_JOURNAL_SECONDS (at most QUEUE_JOURNAL_MAX_ENTRIES)
# to put back if the queue's Redis loses its data (analytics.queue_journal).
QUEUE_JOURNAL_SECONDS = env.int("QUEUE_JOURNAL_SECONDS", default=300)
QUEUE_JOURNAL_MAX_ENTRIES = env.int("QUEUE_JOURNAL_MAX_ENTRIES", default=100_000)
# What web and ingest processes do at start when the queue's Redis would lose events (no append-only file, or an
# evicting maxmemory-policy): "warn" (log an error and go on), "refuse" (exit), or "off" (analytics.queue_checks).
QUEUE_DURABILITY_CHECK = env.str("QUEUE_DURABILITY_CHECK", default="warn")
# Where each web process keeps the events the queue could not take (its Redis away) until it takes them again, and
# how large one process's spool may grow before events are refused with 503 (analytics.event_spool).
EVENT_SPOOL_DIR = env.str("EVENT_SPOOL_DIR", default=str(BASE_DIR / "var" / "spool"))
EVENT_SPOOL_MAX_BYTES = env.int("EVENT_SPOOL_MAX_BYTES", default=64 * 1024 * 1024)
# Events per client IP on POST /api/event, sized for a busy office behind one NAT; empty switches the limit off.
EVENT_RATE = env.str("EVENT_RATE", default="600/min")
# Seconds each web process remembers a site for POST /api/event (analytics.known_sites): how long an edit to a
# site takes to reach the endpoint.
KNOWN_SITE_SECONDS = env.int("KNOWN_SITE_SECONDS", default=60)
# Distinct new visitors one network (IPv4 address, IPv6 /64) may bring one site per period (analytics.new_visitors);
# empty switches the cap off.
NEW_VISITORS_PER_NETWORK = env.str("NEW_VISITORS_PER_NETWORK", default="60/min")
# A newer copy of the referrer-spammer list (one host per line, as Matomo's spammers.txt), read on top of the
# packaged one (analytics.blocklists).
REFERRER_SPAM_LIST_FILE = env.str("REFERRER_SPAM_LIST_FILE", default="")

# --- Health and metrics (config.health; docs/deployment.md) ---------------------------
# `/metrics` and the details of `/readyz` are for monitoring clients only: a bearer token, or an
# address (after NUM_PROXIES) in one of these networks. Neither set: nobody sees them.
MONITORING_TOKEN = env.str("MONITORING_TOKEN", default="")
MONITORING_ALLOWED_IPS = [
    ipaddress.ip_network(network, strict=False) for network in env.list("MONITORING_ALLOWED_IPS", default=[])
]

# --- Share links: passwords, comparisons, embedding (sharing.link_passwords, docs/share-page.md) ----
# Password guesses per client (share page and API together), counted like PUBLIC_STATS_RATE; empty switches it off.
SHARE_PASSWORD_RATE = env.str("SHARE_PASSWORD_RATE", default="10/min")

# --- Email and teams (teams.outbox, teams.invitations, docs/admin.md "Members and roles") -----
# EMAIL_URL picks the backend: unset prints emails on the console (the demo shows invitation links there);
# smtp+tls://user:password@mail.example.com:587 sends through SMTP. See django-environ's email_url.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Glimpse <glimpse@localhost>")
# A mail server that accepts a connection and then hangs holds the sender, never a request, and only this long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Also send right after the queuing request commits, from a thread (the `mailer` process retries what fails).
EMAIL_SEND_IN_THREAD = env.bool("EMAIL_SEND_IN_THREAD", default=True)
# Requests per client (IPv6: per /64) to invitation links, counted like EVENT_RATE; empty switches it off.
INVITATION_RATE = env.str("INVITATION_RATE", default="30/min")
# Two-factor sign-in (teams.two_factor): on, everyone who can create share links must set it up at next login.
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "Glimpse"
# Password-reset requests per client (IPv6: per /64) and, separately, per address asked about; empty: no limit.
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="5/hour")
# How long a password-reset link works (Django's setting, in seconds): one hour.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# --- Raw data retention (analytics.retention, `manage.py prune_raw_data`) ---------
# Days of raw pageviews and sessions to keep before today (site-local); older ones are deleted by
# `prune_raw_data`, while the rollups keep every period's answer. Empty or 0 keeps everything; the
# last-24-hours view reads raw rows, so 1 (or a negative number) is refused: keep at least 2.
RAW_RETENTION_DAYS = int(env.str("RAW_RETENTION_DAYS", default="") or 0)

# --- Django REST Framework ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "config.api_errors.json_exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "public_stats": PUBLIC_STATS_RATE or None,
        "share_password": SHARE_PASSWORD_RATE or None,
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- OpenAPI schema (/api/schema/) -------------------------------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "Glimpse public API",
    "DESCRIPTION": "Read a site's statistics with a share token; record pageviews from the tracking script.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"PeriodEnum": "analytics.periods.Period"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "analytics.openapi.add_event_api",
    ],
}

# CORS: open on the public API only, set by config.public_api_headers.PublicApiHeaders.

# English country names as people say them ("United States", as in the API documentation).
COUNTRIES_OVERRIDE = {"US": gettext_lazy("United States")}

# --- Auth, i18n, static ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "config.admin_lockout.AxesBackendForWebLogins",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Admin login lockout (django-axes; see config.admin_lockout) ------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair
# is locked for the cool-off, the right password included; other pairs are untouched.
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every worker, with or without Redis
AXES_CLIENT_IP_CALLABLE = "analytics.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# Successful logins are not recorded with their address and browser; axes' log lines
# mask usernames and addresses.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Failed sign-ins per network (IPv4 address or IPv6 /64) across every username, against password
# spraying (config.login_networks); over it every sign-in from there waits for the window's end.
ADMIN_LOGIN_NETWORK_RATE = env.str("ADMIN_LOGIN_NETWORK_RATE", default="30/hour")
TIME_ZONE = "UTC"
USE_TZ = True

# --- Languages (config.reader_language, docs/share-page.md "Languages") ------------
# Pages speak the reader's language (`?lang=`, the share link's own, or Accept-Language); the API and
# /api/event stay in English. Catalogues live in locale/ and are checked by `make test`.
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed file names need `collectstatic` first; production sets STATIC_MANIFEST=true.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=False)
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
# Without `collectstatic` (development, tests) files come from the finders; no need to warn.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# --- Admin date format ------------------------------------------------------------
# One format across the admin, as the share-link pages write times: `25 Mar 2026, 12:00 CET`.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Security --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Production behind TLS: SECURE_COOKIES=true SECURE_SSL_REDIRECT=true SECURE_HSTS_SECONDS=31536000.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Joining the browsers' HSTS preload list is a deliberate, hard-to-undo choice for the operator.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ---------------------------------------------------------------------
# Everything goes through the one console handler, whose filters cut share tokens out of
# every line and log a repeated warning or error once per LOG_REPEAT_INTERVAL seconds with
# a count (0 logs every one). Django's own handlers are replaced so nothing bypasses them.
LOG_REPEAT_INTERVAL = env.int("LOG_REPEAT_INTERVAL", default=DEFAULT_INTERVAL_SECONDS)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "cache_outage_as_warning": {"()": "config.logging_filters.CacheOutageAsWarning"},
        "bad_host_as_one_kind": {"()": "config.logging_filters.BadHostAsOneKind"},
        "collapse_repeats": {"()": "config.logging_filters.CollapseRepeats", "interval": LOG_REPEAT_INTERVAL},
        "scrub_secrets": {"()": "config.logging_filters.ScrubSecrets"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_secrets", "collapse_repeats"],
        }
    },
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "glimpse.cache": {"filters": ["cache_outage_as_warning"]},
        "django.security.DisallowedHost": {"filters": ["bad_host_as_one_kind"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Drills (bench/drills) ----------------------------------------------------------
# Drills only, never production: this process's clock (django.utils.timezone.now) runs this many seconds ahead
# (behind when negative), so the topology drill's nodes on one machine keep clocks apart as machines do.
DRILL_CLOCK_OFFSET_SECONDS = env.float("DRILL_CLOCK_OFFSET_SECONDS", default=0.0)
set_clock_offset(DRILL_CLOCK_OFFSET_SECONDS)
