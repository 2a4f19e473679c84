"""Settings for every environment, read from the environment (12-factor).

Defaults make a fresh clone run with no server at all: SQLite and a filesystem Celery broker.
Point DATABASE_URL / CELERY_BROKER_URL at PostgreSQL / Redis for the full stack.

Importing settings creates no folder: whoever needs one under VAR_DIR makes it when it starts
(scripts/run_trial.sh and `make migrate` for the trial, config.celery for the filesystem broker,
collectstatic for STATIC_ROOT, the Dockerfile for the image).
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.schedules import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("OMS_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", "insecure-dev-key-change-me-" + "x" * 40)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "core",
    "crm",
    "inventory",
    "pricing",
    "restapi",
    "finance",
    "orders",
    "production",
    "logistics",
    "webhooks",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.cache_control.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.sessions.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Security headers on every response (portal, admin, API, API docs); production adds HSTS and secure
# cookies. The policy allows our own static files only: no inline script, style element or style
# attribute anywhere (templates/ holds none; the API docs use drf-spectacular's split Swagger view,
# whose init script is a file of its own, and the sidecar's assets). tests/test_security_headers.py
# checks each interface, tests/browser/test_csp_browser.py that no page breaks the policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Swagger UI's and the admin's stylesheets draw their icons as data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Powerful browser features nothing here uses are switched off for every page (django-permissions-policy);
# the portal copies a new API token or signing secret to the clipboard itself.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "clipboard-write": ["self"],
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.portal.context_processors.portal_roles",
                "production.portal.context_processors.production_roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'oms.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web server and the worker share the trial database.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL: the statements every order runs (core.db.CompiledQuery) are prepared once per database
# session and then only executed, not planned anew. Turn off behind a pooler in transaction mode
# (PgBouncer's `pool_mode = transaction`), where a session's PREPARE may not be there for its EXECUTE.
DATABASE_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

# ASVS 2.1.1/2.1.2: at least 12 characters, at most 128; no composition rules (2.1.9).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "core.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Browser sessions (ASVS 3.3.2, core.sessions): signed out after this long without a request, and at
# the latest this long after signing in. The cookie and the database row expire with the idle timeout.
SESSION_IDLE_TIMEOUT_SECONDS = int(env("SESSION_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_ABSOLUTE_MAX_SECONDS = int(env("SESSION_ABSOLUTE_MAX_SECONDS", str(12 * 60 * 60)))
if not 0 < SESSION_IDLE_TIMEOUT_SECONDS <= SESSION_ABSOLUTE_MAX_SECONDS:
    raise ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT_SECONDS must be above 0 and at most SESSION_ABSOLUTE_MAX_SECONDS."
    )
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_SECONDS
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

# i18n: English and Simplified Chinese ship compiled in locale/.
LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Business defaults.
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", "CNY")
DEFAULT_TAX_RATE = Decimal(env("DEFAULT_TAX_RATE", "0.13"))  # China VAT on goods
# How long a process may keep tier discounts and shipping rates cached; a save or delete clears them at
# once in the shared cache (CACHE_URL), so this bounds staleness only with per-process caches.
PRICING_REFERENCE_CACHE_SECONDS = int(env("PRICING_REFERENCE_CACHE_SECONDS", "60"))
ORDER_NUMBER_PREFIX = env("ORDER_NUMBER_PREFIX", "SO")
ORDER_MAX_LINES = int(env("ORDER_MAX_LINES", "200"))
ORDER_LINE_MAX_QUANTITY = int(env("ORDER_LINE_MAX_QUANTITY", "100000"))
# Priority (orders.services.priority): open orders rescored per sweep batch, in one transaction of a
# fixed number of queries (the rows of a batch stay locked while it runs).
ORDER_PRIORITY_RESCORE_BATCH = int(env("ORDER_PRIORITY_RESCORE_BATCH", "1000"))
# Stock alerts (inventory.alerts): how often thresholds are checked (config/schedules.py reads the
# same variable), over how many past days demand is averaged for the suggested reorder quantity, and
# the lead time assumed for a product that has none of its own.
STOCK_ALERT_EVALUATE_MINUTES = float(env("STOCK_ALERT_EVALUATE_MINUTES", "15"))
STOCK_ALERT_DEMAND_DAYS = int(env("STOCK_ALERT_DEMAND_DAYS", "30"))
STOCK_ALERT_LEAD_TIME_DAYS = int(env("STOCK_ALERT_LEAD_TIME_DAYS", "14"))
# Production delays (production.services.delays): how often the sweep runs (config/schedules.py reads the
# same variable), how many work orders one batch handles, and how long past a planned start or a stage's
# planned finish before the work order counts as late.
PRODUCTION_DELAY_SWEEP_MINUTES = float(env("PRODUCTION_DELAY_SWEEP_MINUTES", "5"))
PRODUCTION_DELAY_SWEEP_BATCH = int(env("PRODUCTION_DELAY_SWEEP_BATCH", "200"))
PRODUCTION_DELAY_GRACE_MINUTES = int(env("PRODUCTION_DELAY_GRACE_MINUTES", "60"))
# Available-to-promise (inventory.selectors.atp_timeline): days a shipped transfer takes to arrive.
ATP_TRANSFER_DAYS = int(env("ATP_TRANSFER_DAYS", "3"))

# Email.
# Where links in e-mails point (notifications are sent by workers, outside any request).
SITE_BASE_URL = env("SITE_BASE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "oms@localhost")

# Celery. The trial default is a filesystem broker (no server); set redis://… for the full stack.
# Every file of that broker lives under var/broker, including the exchange tables kombu keeps in
# its control folder (it defaults to ./control in the working directory); config.celery creates
# the folders when the app is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Must exceed the longest retry countdown (STYLE.md §5).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# kombu's redis transport, reusing one Redis client per channel instead of one per publish (core/broker.py).
CELERY_BROKER_TRANSPORT = "core.broker:Transport" if CELERY_BROKER_URL.startswith("redis://") else None
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Celery's Django fixup (celery 5.5+) closes every database connection before and after each task
# unless this is set, whatever CONN_MAX_AGE says: each task then opened a new PostgreSQL connection
# (~25 ms of a worker's time here, more than most tasks take). With it the fixup leaves connections
# alone (it would close them every 2 × this many tasks) and workers close old or broken ones around
# each task as Django does around a request (config/celery.py).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Stock allocation reads the active warehouses at most this often per worker process (seconds).
ALLOCATION_WAREHOUSE_CACHE_SECONDS = float(env("ALLOCATION_WAREHOUSE_CACHE_SECONDS", "10"))
# Orders one allocation task decides in one transaction: the approved order it was sent for and the
# most urgent others still waiting (orders.services.allocation.orders_allocate_backlog).
ALLOCATION_BATCH_SIZE = int(env("ALLOCATION_BATCH_SIZE", "100"))

# Credit control (issue #9). A customer with an overdue invoice (not in dispute) older than this many days
# is warned about on quotes, like one over its credit limit (crm.selectors.customer_credit_check).
CREDIT_OVERDUE_DAYS_LIMIT = int(env("CREDIT_OVERDUE_DAYS_LIMIT", "30"))
# Collections (finance.services.dunning): the daily run sends the reminder levels (Finance → Reminder
# levels) in batches of this many invoices; a customer goes on credit hold once an invoice is still open
# this many days after its final-level reminder (0: with the final reminder).
DUNNING_BATCH = int(env("DUNNING_BATCH", "200"))
DUNNING_CREDIT_HOLD_AFTER_DAYS = int(env("DUNNING_CREDIT_HOLD_AFTER_DAYS", "7"))

# Domain events (core.events, core.outbox): written to the outbox with the change, relayed after commit.
# Publishing a relayed event's tasks waits at most this long on the broker (connect, then each reply);
# no retries. Keep it at or below 1 s: the fast path runs inside the request.
OUTBOX_PUBLISH_TIMEOUT_SECONDS = float(env("OUTBOX_PUBLISH_TIMEOUT_SECONDS", "0.5"))
if not 0 < OUTBOX_PUBLISH_TIMEOUT_SECONDS <= 1:
    raise ImproperlyConfigured("OUTBOX_PUBLISH_TIMEOUT_SECONDS must be above 0 and at most 1 (seconds).")
# After a failed publish, a process leaves its events to the relay sweep for this long, so requests
# do not each pay the timeout while the broker is down.
OUTBOX_FAST_PATH_PAUSE_SECONDS = float(env("OUTBOX_FAST_PATH_PAUSE_SECONDS", "30"))
# The relay sweep leaves events younger than this to the fast path of the process that wrote them.
OUTBOX_RELAY_GRACE_SECONDS = float(env("OUTBOX_RELAY_GRACE_SECONDS", "5"))
# An event a listener failed on is tried again after base × 2^failures seconds, at most the max (a broken
# listener must not republish its event's other tasks every sweep); broker failures are not backed off.
OUTBOX_RETRY_BASE_SECONDS = float(env("OUTBOX_RETRY_BASE_SECONDS", "30"))
OUTBOX_RETRY_MAX_SECONDS = float(env("OUTBOX_RETRY_MAX_SECONDS", "3600"))
# True (PostgreSQL; docker-compose.yml): a relay process (`manage.py outbox_relay`), woken by each commit
# that wrote events, hands them to their listeners; requests and tasks only write their events and never
# publish them. False: the process that made the change relays its events right after commit.
OUTBOX_RELAY_PROCESS = env_bool("OUTBOX_RELAY_PROCESS")
# Dispatched events (and handlers' receipts, core.models.ProcessedEvent) are purged after this many days.
OUTBOX_RETENTION_DAYS = float(env("OUTBOX_RETENTION_DAYS", "7"))

# DRF and the OpenAPI schema: defined here only. Test and bench settings vary the throttle through
# API_THROTTLE_RATE (set in the environment before this module is imported), not by patching.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "restapi.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "restapi.exceptions.exception_handler",
    # JSON only; the browsable HTML API only for local development (production.py pins JSON only).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    # Bodies over API_MAX_BODY_BYTES are refused with 413 in the error envelope.
    "DEFAULT_PARSER_CLASSES": [
        "restapi.parsers.LimitedJSONParser",
        "restapi.parsers.LimitedFormParser",
        "restapi.parsers.LimitedMultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["restapi.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env("API_THROTTLE_RATE", "600/min")},
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
}
API_MAX_BODY_BYTES = int(env("API_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# JSON bodies nested deeper than this (objects and arrays; an order is 4 deep) are refused with 400.
API_MAX_JSON_DEPTH = int(env("API_MAX_JSON_DEPTH", "20"))
IDEMPOTENCY_KEY_TTL_HOURS = int(env("IDEMPOTENCY_KEY_TTL_HOURS", "48"))
API_TOKENS_PER_USER = int(env("API_TOKENS_PER_USER", "10"))
# No API token works longer than this many days after it was made, whatever expiry it was given
# (0: no maximum). Checked on every request, so lowering it also ends older tokens.
API_TOKEN_MAX_AGE_DAYS = int(env("API_TOKEN_MAX_AGE_DAYS", "365"))
# A token's "last used" is written at most once per this many seconds (one UPDATE, skipped otherwise).
API_TOKEN_LAST_USED_INTERVAL_SECONDS = int(env("API_TOKEN_LAST_USED_INTERVAL_SECONDS", "300"))

SPECTACULAR_SETTINGS = {
    "TITLE": "OMS Dealer API",
    "DESCRIPTION": "Place and follow orders, quotes, invoices and shipments. See docs/dealer-api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from the public validator: the docs page loads our own files only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One OpenAPI enum per status table (the dealer API shows the same statuses in several places).
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.states.OrderStatus",
        "InvoiceStatusEnum": "finance.states.InvoiceStatus",
        "ShipmentStatusEnum": "logistics.states.ShipmentStatus",
        "ProgressEnum": [("none", "none"), ("partial", "partial"), ("full", "full")],
    },
}

# Webhooks.
WEBHOOK_TIMEOUT_SECONDS = float(env("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_MAX_ATTEMPTS = int(env("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_DISABLE_AFTER_FAILURES = int(env("WEBHOOK_DISABLE_AFTER_FAILURES", "20"))

# The cache holds only what can be recomputed; on a Redis error it answers misses (config.cache) and
# leaves Redis alone for the pause, so a Redis outage (it is also the broker) costs requests nothing.
CACHE_SOCKET_TIMEOUT_SECONDS = float(env("CACHE_SOCKET_TIMEOUT_SECONDS", "0.25"))
CACHE_FAIL_OPEN_PAUSE_SECONDS = float(env("CACHE_FAIL_OPEN_PAUSE_SECONDS", "30"))
CACHES = {
    "default": (
        # Django's RedisCache, minus a new redis client per cache operation (config.cache).
        {"BACKEND": "config.cache.RedisCache", "LOCATION": env("CACHE_URL")}
        if env("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# Webhook targets must resolve to public addresses; only for local development or tests may they
# point at loopback/private networks (the SSRF guard in webhooks.services).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)

# Sign-in protection (django-axes) and password reset. Every password sign-in (portal and admin) goes
# through django.contrib.auth.authenticate(), where axes counts the failures; the dealer API authenticates
# with its own tokens and never reaches it. Failures are counted per account and, separately, per client
# address: either reaching AXES_FAILURE_LIMIT within the cool-off refuses further sign-ins, even with the
# right password, until AXES_COOLOFF_MINUTES pass after the last failure (a failure during the lockout
# restarts it), staff unlock the account (admin: Users → "Unlock sign-in", or Axes → Access attempts), or
# the user resets the password. Counters are not cleared by a successful sign-in: an attacker holding
# one account must not be able to reset the counter of the address they attack from.
INSTALLED_APPS += ["axes"]
# AxesMiddleware turns a lockout into the portal's lockout page; it must stay the last middleware.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "portal.views.lockout_response"
# Every failed attempt is kept for investigation (Axes → Access failures), besides the counters.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client address is REMOTE_ADDR: gunicorn faces the clients directly in docker-compose.yml, and a
# forwarded-for header a client sends itself is ignored. Behind a reverse proxy every client would share
# the proxy's address (and lock each other out): make the proxy overwrite X-Forwarded-For with the
# address it sees (nginx: `proxy_set_header X-Forwarded-For $remote_addr;`) and set
# AXES_IPWARE_META_PRECEDENCE_ORDER=HTTP_X_FORWARDED_FOR,REMOTE_ADDR. Only with such a proxy in front:
# a header the proxy passes through unchanged can be forged by anyone.
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(env_list("AXES_IPWARE_META_PRECEDENCE_ORDER", "REMOTE_ADDR"))
# With the order above, X-Forwarded-For must hold exactly this many proxies after the client (0: the
# client alone, as the nginx line above writes it); a longer, forged chain is not trusted.
AXES_IPWARE_PROXY_COUNT = int(env("AXES_IPWARE_PROXY_COUNT", "0"))
# A password-reset link works once (it is bound to the password it replaces) and for this long.
PASSWORD_RESET_TIMEOUT = int(env("PASSWORD_RESET_TIMEOUT", str(60 * 60)))
# Reset mails are sent by a worker (crm.services.user_password_reset_send), at most this many per
# account per hour; the reset form takes at most this many requests per client address per hour. Both
# are counted in the cache (a fixed window opened by the first request) and lift while it is down.
PASSWORD_RESET_MAX_PER_HOUR = int(env("PASSWORD_RESET_MAX_PER_HOUR", "3"))
PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR = int(env("PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR", "10"))
# Axes' records (attempt counters, failure log, sign-in log) older than this are deleted every day
# (crm.services.sign_in_records_purge).
AXES_LOG_RETENTION_DAYS = float(env("AXES_LOG_RETENTION_DAYS", "90"))
