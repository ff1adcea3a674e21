"""Flowdesk settings, read from the environment.

With no environment variables set, everything is embedded (SQLite in WAL mode, the django-q2 ORM
broker): a fresh machine needs only Python. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL
and the Redis broker for production.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from workflows.core.egress import EgressPolicy  # pure Python, no Django
from workflows.core.status import InstanceStatus, StepStatus  # pure Python, no Django
from workflows.core.status import choices as status_choices

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DATA_DIR = Path(os.environ.get("FLOWDESK_DATA_DIR", BASE_DIR / "var"))
DEBUG = env_bool("DEBUG", False)

# --- Security: the secret key, HTTPS, login throttling, the CSP (README "Configuration") ----------
# The embedded local run (no DATABASE_URL: SQLite under var/, what bin/run starts on a fresh clone)
# works with no configuration; anything else is a deployment and must say what it needs.
FLOWDESK_EMBEDDED = not os.environ.get("DATABASE_URL")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
FLOWDESK_LOCAL_SECRET_KEY = not SECRET_KEY  # a deploy check warns (workflows/checks.py)
if FLOWDESK_LOCAL_SECRET_KEY:
    if not (FLOWDESK_EMBEDDED or DEBUG):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. A deployment (DATABASE_URL set, DEBUG off) needs its own long random key, e.g. "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'); only the embedded local run "
            "(no DATABASE_URL) or DEBUG=1 makes one for itself under FLOWDESK_DATA_DIR."
        )
    from config.security import local_secret_key

    SECRET_KEY = local_secret_key(DATA_DIR / "secret_key")

# FLOWDESK_SECURE=1: served over HTTPS only. Cookies never travel over plain HTTP, plain HTTP is
# redirected, and browsers are told (HSTS) to use HTTPS for a year, subdomains included.
FLOWDESK_SECURE = env_bool("FLOWDESK_SECURE", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = FLOWDESK_SECURE
SECURE_SSL_REDIRECT = env_bool("FLOWDESK_SSL_REDIRECT", FLOWDESK_SECURE)  # 0 when the proxy redirects
SECURE_HSTS_SECONDS = env_int("FLOWDESK_HSTS_SECONDS", 31_536_000 if FLOWDESK_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = FLOWDESK_SECURE and SECURE_HSTS_SECONDS > 0
# Preloading commits a whole registrable domain to the browsers' built-in lists, which is the
# domain owner's decision, not the product's: opt in; Django's deploy check reminds of it otherwise.
SECURE_HSTS_PRELOAD = env_bool("FLOWDESK_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a TLS-terminating proxy Django sees plain HTTP: trust the proxy's X-Forwarded-Proto, which
# is safe only when the proxy sets it (overwriting what clients send), hence opt-in.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("FLOWDESK_BEHIND_PROXY", False) else None

# Login throttling (django-axes): 5 failures for one username from one address lock that pair out
# for 15 minutes, on the login page and the admin's. API tokens are not passwords and are not
# throttled. `manage.py axes_reset_username NAME` lifts a lockout early.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "workflows.login_throttle.locked_out"
AXES_VERBOSE = False  # no banner from every manage.py command; failures and lockouts are still logged
AUTHENTICATION_BACKENDS = [
    "workflows.login_throttle.LoginThrottle",  # first: refuses a locked-out pair before any password check
    "django.contrib.auth.backends.ModelBackend",
]

# Content Security Policy (django-csp): scripts and styles from this server only; the few <style>
# blocks carry the request's nonce. React's style props are set through the DOM, which CSP allows.
# Nothing is loaded from another origin: the API docs' Swagger UI is served from our static files
# (drf-spectacular-sidecar); its view adds only data: images (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", csp_constants.NONCE],
        # data: images: steps return pictures inline (base64), and the instance page's step drawer and
        # the designer's test-run panel draw them as <img>. An image cannot run script, and SVG is
        # never drawn (run/values.ts takes PNG, JPEG, GIF and WebP only); nothing from another origin.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # includes this host's ws:// and wss:// (the live instance page)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# A failed CSRF check is the product's 403 page (JSON under /api/), not Django's bare one.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
# --- end of the security block ------------------------------------------------------------------

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as our own static files (SPECTACULAR_SETTINGS)
    "axes",  # login throttling (the security block)
    "csp",  # Content Security Policy (the security block)
    "django_q",
    "channels",
    "workflows",
    "workflows.demo",
    "designer",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the security block's Content Security Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.db_outage.DatabaseOutageMiddleware",  # a database outage is a 503, not a 500
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database ---------------------------------------------------------------------------------
# How a process holds its connections depends on its kind (DESIGN §10). Workers (`manage.py engine`,
# `qcluster`, any other command) keep one persistent connection per thread (CONN_MAX_AGE): django-q2
# polls the database and reconnecting at each poll is ~4x slower. A web process (config/asgi.py sets
# FLOWDESK_PROCESS=web) runs each request in a thread of its own, so per-thread connections pile up
# (a burst left daphne holding 81): it borrows from a bounded psycopg pool instead, which Django allows
# only without persistent connections.
FLOWDESK_PROCESS = os.environ.get("FLOWDESK_PROCESS", "worker")
if FLOWDESK_PROCESS not in ("web", "worker"):
    raise ValueError(f"FLOWDESK_PROCESS must be 'web' or 'worker', not {FLOWDESK_PROCESS!r}")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60)),
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The test database name is set explicitly so every process (pytest, qcluster, daphne)
        # agrees on it; see tests/conftest.py.
        DATABASES["default"].setdefault("TEST", {})
        if os.environ.get("FLOWDESK_TEST_DB_NAME"):
            DATABASES["default"]["TEST"]["NAME"] = os.environ["FLOWDESK_TEST_DB_NAME"]
        # pg_stat_activity tells web and worker connections apart
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("application_name", f"flowdesk-{FLOWDESK_PROCESS}")
        if FLOWDESK_PROCESS == "web":
            pool_size = env_int("FLOWDESK_DB_POOL_SIZE", 10)
            DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
            DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a pooled connection may predate a restart
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": min(2, pool_size),
                "max_size": pool_size,
                # a request waiting longer for a connection gets a 503 (config/db_outage.py)
                "timeout": env_float("FLOWDESK_DB_POOL_TIMEOUT_S", 10.0),
            }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "flowdesk.sqlite3")),
            # IMMEDIATE transactions take the write lock up front, so two processes never
            # deadlock upgrading a read lock; WAL lets readers go on while one writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            },
            # a file handle per request thread would pile up in a web process; opening SQLite is cheap
            "CONN_MAX_AGE": 0 if FLOWDESK_PROCESS == "web" else 60,
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue (django-q2) ------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
FLOWDESK_WORKERS = env_int("FLOWDESK_WORKERS", 4)
Q_CLUSTER = {
    "name": os.environ.get("FLOWDESK_QUEUE", "flowdesk"),
    "workers": FLOWDESK_WORKERS,
    # A drain task returns within FLOWDESK_DRAIN_BUDGET_S unless one handler runs long; the
    # engine enforces step timeouts itself, so this is only a last-resort guard.
    "timeout": 6 * 3600,
    "retry": 6 * 3600 + 600,
    "max_attempts": 1,
    "save_limit": -1,  # the engine records outcomes; no Success rows
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.05,
    "label": "Queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Channels ---------------------------------------------------------------------------------
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Engine -----------------------------------------------------------------------------------
# Apps of your own whose handlers.py registers more handlers (comma-separated module paths).
INSTALLED_APPS += [app.strip() for app in os.environ.get("FLOWDESK_APPS", "").split(",") if app.strip()]

FLOWDESK = {
    # A running step whose worker has not renewed its lease for this long is "worker lost".
    "LEASE_S": env_float("FLOWDESK_LEASE_S", 30.0),
    # A scheduled step nobody started after this long gets its dispatch rung again.
    "REDISPATCH_S": env_float("FLOWDESK_REDISPATCH_S", 5.0),
    # How often the timer loop looks for due timers and expired leases.
    "TICK_S": env_float("FLOWDESK_TICK_S", 0.05),
    # How many due timers (of different instances) the timer loop fires at once; each thread holds
    # a database connection of its own. 1 fires them one by one in the loop's thread.
    "TIMER_THREADS": max(1, env_int("FLOWDESK_TIMER_THREADS", 4)),
    # A worker keeps running one instance's ready steps for at most this long before yielding.
    "DRAIN_BUDGET_S": env_float("FLOWDESK_DRAIN_BUDGET_S", 2.0),
    # How many attempts of one instance a worker process runs at once, each handler on a thread of
    # its own (finished ones are recorded, and as many new ones claimed, in one transition).
    "WORKER_SLOTS": max(1, env_int("FLOWDESK_WORKER_SLOTS", 8)),
    # Extra dispatches rung when a transition makes several steps ready at once.
    "DISPATCH_FANOUT": env_int("FLOWDESK_DISPATCH_FANOUT", FLOWDESK_WORKERS * 2),
    "DEFAULT_STEP_TIMEOUT_S": env_float("FLOWDESK_DEFAULT_STEP_TIMEOUT_S", 300.0),
    "MAX_INPUT_BYTES": env_int("FLOWDESK_MAX_INPUT_BYTES", 1_000_000),
    "MAX_OUTPUT_BYTES": env_int("FLOWDESK_MAX_OUTPUT_BYTES", 1_000_000),
    # All of one instance's vars together (a transform that would grow them past it fails).
    "MAX_VARS_BYTES": env_int("FLOWDESK_MAX_VARS_BYTES", 1_000_000),
    # Attempts lost with their worker are retried without counting against max_attempts, this many times.
    "LOST_RETRIES": env_int("FLOWDESK_LOST_RETRIES", 3),
    # The most items one map node takes; a longer list fails the step with a clear error.
    "MAX_MAP_ITEMS": env_int("FLOWDESK_MAX_MAP_ITEMS", 10_000),
    # How deep child workflows may nest (a workflow that starts itself stops here).
    "MAX_DEPTH": env_int("FLOWDESK_MAX_DEPTH", 10),
    # A signal's JSON payload (it is kept until a signal node takes it, and becomes its output).
    "MAX_SIGNAL_BYTES": env_int("FLOWDESK_MAX_SIGNAL_BYTES", 64_000),
    # Links in e-mails about approval tasks start with this (the address reviewers open).
    "BASE_URL": os.environ.get("FLOWDESK_BASE_URL", "http://localhost:8000"),
    # Send task e-mails in the committing thread instead of a background one (tests).
    "TASK_MAIL_SYNC": env_bool("FLOWDESK_TASK_MAIL_SYNC", False),
}

# --- Outbound HTTP (the http node; README "Outbound HTTP") -------------------------------------
# Loopback, private, link-local and other internal addresses are refused unless allowed here; a bad
# entry stops start-up with a message naming it.
FLOWDESK_EGRESS = EgressPolicy.parse(
    os.environ.get("FLOWDESK_HTTP_ALLOW", ""),
    max_body_bytes=env_int("FLOWDESK_HTTP_MAX_BODY_BYTES", 1_000_000),
    ca_bundle=os.environ.get("FLOWDESK_HTTP_CA_BUNDLE") or None,
)

# --- Mail (the notify node, workflows/mail.py; README "Configuration") ---------------------------
# The embedded run prints mails on the engine's console; set EMAIL_BACKEND to
# django.core.mail.backends.smtp.EmailBackend (and EMAIL_HOST...) to send them, or to the file
# backend (mails as files under EMAIL_FILE_PATH) to keep them.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 30.0)  # seconds; a notify step's deadline shortens it
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "flowdesk@localhost")

# --- Auth, i18n, static -----------------------------------------------------------------------
# The test suite sets FLOWDESK_FAST_PASSWORDS (tests/conftest.py) for itself and the servers it
# starts: hashing each test user's password with PBKDF2 cost ~0.5 s. Ignored in production
# (FLOWDESK_SECURE): new passwords there are always hashed with PBKDF2.
if env_bool("FLOWDESK_FAST_PASSWORDS", False) and not env_bool("FLOWDESK_SECURE", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Not the Manifest variant: it would re-hash Vite's already-hashed bundles.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = FLOWDESK["MAX_INPUT_BYTES"] + 64_000

# --- Request bodies ---------------------------------------------------------------------------
# Larger bodies are refused with 413 before they are read (config/body_limit.py). The largest
# legitimate ones: a designer import (a file of at most 2 MB) and an instance start (an input of at
# most FLOWDESK_MAX_INPUT_BYTES, plus the request around it). Django's and the API's own limits
# (DATA_UPLOAD_MAX_MEMORY_SIZE, workflows/api/parsers.py) are below it; a proxy in front should
# refuse what is above it (README, "Scaling out").
FLOWDESK_MAX_REQUEST_BYTES = env_int("FLOWDESK_MAX_REQUEST_BYTES", max(3_000_000, FLOWDESK["MAX_INPUT_BYTES"] + 1_000_000))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "workflows.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "workflows.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["workflows.api.parsers.LimitedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Flowdesk API",
    "DESCRIPTION": "Start, steer and query workflow instances; design and publish templates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # schema and docs: after login
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from our static files (drf-spectacular-sidecar), not a CDN: the docs work
    # offline and under the CSP's 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},  # no badge from swagger.io
    "ENUM_NAME_OVERRIDES": {
        "InstanceStatusEnum": status_choices(InstanceStatus),
        "StepStatusEnum": status_choices(StepStatus),
        "VersionStatusEnum": "workflows.models.TemplateVersion.Status",
        "TaskStatusEnum": "approvals.models.Task.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django-q": {"level": os.environ.get("Q_LOG_LEVEL", "WARNING")}},
}
