"""Test settings: PostgreSQL when DATABASE_URL points there or a local server answers on
127.0.0.1:5432, SQLite otherwise. With CI=true a missing PostgreSQL is an error (see conftest)."""

import os
import socket

import dj_database_url


def _local_postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


if not os.environ.get("DATABASE_URL") and _local_postgres_answers():
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/oms"
# Base reads the throttle rate from the environment; the suite sends far more than a dealer would
# (the throttle tests set their own rate on the class).
os.environ["API_THROTTLE_RATE"] = "100000/min"

from .base import *  # noqa: E402, F403
from .base import DATABASES, env  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"] = dj_database_url.parse("sqlite:///:memory:")
    DATABASES["default"]["TEST"] = {"NAME": env("SQLITE_TEST_NAME", "") or None}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = False
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/15")
LANGUAGE_CODE = "en"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests never collect static files (the live server serves them from the finders), so whitenoise
# has no collected folder to scan and the suite creates none.
STATIC_ROOT = None
# Test receivers listen on 127.0.0.1; the SSRF tests switch this off again.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
# Tests create and drop warehouses all the time: allocation reads them afresh.
ALLOCATION_WAREHOUSE_CACHE_SECONDS = 0
