"""Suite-wide fixtures and the rules for real services.

Tests marked `postgres` need PostgreSQL (row locks, concurrency) and are skipped on SQLite with the
reason printed; tests marked `redis` need a Redis server. With CI=true neither is ever skipped: a
missing server fails the run.
"""

import os
import socket
from collections import defaultdict

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core import events, outbox, publishing
from orders.selectors import committed_demand_drift

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def pytest_sessionstart(session):
    if IN_CI and connection.vendor != "postgresql":
        pytest.exit("CI=true but the tests are not on PostgreSQL (set DATABASE_URL or start the server)", 2)


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    redis_up = None
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (row locks/concurrency); running on SQLite")
            )
        if "redis" in item.keywords:
            if redis_up is None:
                redis_up = _redis_answers()
                if IN_CI and not redis_up:
                    pytest.exit(f"CI=true but Redis does not answer at {settings.REDIS_URL}", 2)
            if not redis_up:
                item.add_marker(pytest.mark.skip(reason=f"needs Redis at {settings.REDIS_URL}"))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a rolled-back test must not leave cached rows behind
    (e.g. pricing reference tables, pricing.selectors)."""
    cache.clear()


@pytest.fixture
def emitted(monkeypatch):
    """Domain events relayed during the test, as (name, payload); other apps' listeners are detached.

    Events are relayed after commit: run the code under `django_capture_on_commit_callbacks(execute=True)`.
    """
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, *, event_id, **payload: seen.append((name, payload)))
    return seen


@pytest.fixture(autouse=True)
def _outbox_fast_path():
    """Each test starts with the outbox fast path on and no broker connection left by an earlier one."""
    outbox.fast_path_reset()
    yield
    outbox.fast_path_reset()
    publishing.discard()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DB_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}
)


@pytest.fixture(autouse=True)
def _committed_demand_adds_up(request):
    """After every test that used the database, each product's committed demand adds up: its ledger,
    its lines' `committed_units` and what its lines count as they are now (orders.selectors.
    committed_demand_drift). A writer that changes a line or a status without
    orders.services.commitments fails here, in whichever app's test first runs it. Test set-ups that
    write lines or statuses directly recount with orders.tests.factories.recount_commitments."""
    marker = request.node.get_closest_marker("django_db")
    requested = _DB_FIXTURES & set(request.fixturenames)
    if not marker and not requested:
        yield
        return
    # Set the database up before this fixture, so that it is torn down (rolled back) after the check.
    for name in sorted(requested) or ["_django_db_helper"]:
        request.getfixturevalue(name)
    yield
    drift = committed_demand_drift()
    assert not drift, f"committed demand does not add up, {{product: (ledger, lines, expected)}}: {drift}"
