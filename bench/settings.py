"""Benchmark settings: production-like (DEBUG off, persistent connections, Redis as broker and cache)
plus the bare baseline view.

The broker is real, as in production: an order's follow-up tasks are published to Redis
(BENCH_BROKER_URL, default db 8) and no worker consumes them; bench/run.py purges the queue.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench")
# The benchmark measures intake, not the throttle: base reads the rate from the environment.
os.environ["API_THROTTLE_RATE"] = "10000000/min"
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", os.environ["CELERY_BROKER_URL"])

from config.settings.base import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR", "handlers": []}}
# The bench serves no static files; without a collected folder whitenoise would warn on every worker start.
STATIC_ROOT = None
