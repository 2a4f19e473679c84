"""Benchmark settings: production-like (DEBUG off, persistent connections) plus the bare baseline view."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench")
# The benchmark measures intake, not the throttle: base reads the rate from the environment.
os.environ["API_THROTTLE_RATE"] = "10000000/min"

from config.settings.base import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR", "handlers": []}}
