"""Cheaper publishing, same behaviour: argument reprs, Celery's option lookups, the redis transport.

- `core.publishing.task_repr` (the `argsrepr`/`kwargsrepr` headers) gives exactly celery's saferepr text;
- `config.celery.DjangoSettingsSource` follows Django's settings as they change;
- `core.broker.Transport` (CELERY_BROKER_TRANSPORT for redis://) reuses one Redis client per channel,
  and keeps every broker-outage guarantee of tests/test_outbox_broker.py (re-run here with it) and
  the worker's consumption (tests/test_worker_smoke.py, likewise).
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from celery.app.amqp import AMQP as CeleryAMQP
from celery.utils.saferepr import saferepr
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.celery import app as celery_app
from core import broker, publishing
from core.publishing import _is_plain, task_repr
from tests import test_outbox_broker as broker_tests
from tests import test_worker_smoke as worker_tests

ROOT = Path(__file__).resolve().parents[2]
FAST_TRANSPORT = "core.broker:Transport"

# --- argsrepr / kwargsrepr -----------------------------------------------------------------------------

TRICKY_TEXT = st.sampled_from(
    ["", "it's", 'say "hi"', "back\\slash", "line\nbreak", "tab\t", "é ü 中", "\x00"]
)
TEXT = st.text(max_size=40) | TRICKY_TEXT | st.text(alphabet="ab '", min_size=900, max_size=1100)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
KEYS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=40,
)


@hypothesis_settings(max_examples=400, deadline=None)
@given(value=VALUES, maxlen=st.sampled_from([None, 8, 60, 1024]), maxlevels=st.sampled_from([0, 1, 2, 3, 4]))
def test_task_repr_is_exactly_celerys_saferepr(value, maxlen, maxlevels):
    assert task_repr(value, maxlen, maxlevels) == saferepr(value, maxlen, maxlevels=maxlevels)


@pytest.mark.parametrize(
    "value",
    [
        (),
        {"order_id": 12, "event_id": str(uuid.uuid4())},
        {"product_ids": [1, 2, 3], "event_id": "e"},
        {"event_type": "order.allocated", "event_id": "e", "payload": {"order_id": 1, "total": "10.50"}},
        {"keys": ["order.allocated:12"], "event_id": None},
    ],
)
def test_the_tasks_usual_arguments_take_the_fast_path(value):
    assert _is_plain(value, 0, celery_app.conf.task_repr_maxlevels)
    assert task_repr(value, 1024, celery_app.conf.task_repr_maxlevels) == saferepr(value, 1024, maxlevels=3)


def _message(amqp, **options):
    return amqp.as_task_v2(
        "id-1", "orders.tasks.order_score_priority_task", **options, origin="here", now=None, timezone=None
    )


@pytest.mark.parametrize(
    "options",
    [
        {"args": (1, "it's"), "kwargs": {"payload": {"deep": {"deeper": {"deepest": [1]}}}}},
        {"args": None, "kwargs": {"order_id": 3, "event_id": "e"}},
        {"args": [1, 2], "kwargs": None, "argsrepr": "(hidden)", "kwargsrepr": "{}"},
        {"args": (), "kwargs": {"text": "x" * 2000}},
    ],
)
def test_task_messages_are_the_ones_celery_writes(options):
    ours, celerys = _message(celery_app.amqp, **options), _message(CeleryAMQP(celery_app), **options)

    assert type(celery_app.amqp) is publishing.AMQP
    assert ours == celerys


# --- Celery's options read from Django's settings ----------------------------------------------------


def test_celery_options_follow_override_settings():
    conf = celery_app.conf
    assert (conf.task_send_sent_event, conf.task_default_queue) == (False, "celery")  # names Django lacks

    with override_settings(CELERY_TASK_SEND_SENT_EVENT=True, CELERY_TASK_DEFAULT_QUEUE="other"):
        assert (conf.task_send_sent_event, conf.task_default_queue) == (True, "other")

    assert (conf.task_send_sent_event, conf.task_default_queue) == (False, "celery")


def test_celery_options_follow_pytest_djangos_settings(settings):
    assert celery_app.conf.task_default_queue == "celery"

    settings.CELERY_TASK_DEFAULT_QUEUE = "elsewhere"

    assert celery_app.conf.task_default_queue == "elsewhere"


# --- which transport, for which broker URL -------------------------------------------------------------

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from config.celery import app
print(json.dumps([settings.CELERY_BROKER_TRANSPORT, app.connection_for_write().transport_cls]))
"""


@pytest.mark.parametrize(
    ("broker_url", "expected"),
    [
        (None, [None, "filesystem"]),  # the trial: `make run` on SQLite
        ("redis://127.0.0.1:6379/13", [FAST_TRANSPORT, FAST_TRANSPORT]),
        ("rediss://127.0.0.1:6380/0", [None, "rediss"]),  # kombu reads TLS off the scheme: left alone
        ("memory://", [None, "memory"]),
    ],
)
def test_the_fast_transport_serves_redis_urls_only(broker_url, expected, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "OMS_VAR_DIR": str(tmp_path / "var"),
    }
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


# --- the transport against real Redis -----------------------------------------------------------------


@pytest.fixture
def fast_transport():
    """The app's connections use core.broker's transport (the test settings' broker is memory://)."""
    conf = celery_app.conf
    saved = conf.broker_transport
    conf.broker_transport = FAST_TRANSPORT
    publishing.discard()
    worker_tests._reset_producer_pools()
    try:
        yield
    finally:
        publishing.discard()
        worker_tests._reset_producer_pools()
        conf.broker_transport = saved


@pytest.fixture
def hung_broker():
    server = broker_tests.HungBroker()
    yield server
    server.close()


@pytest.fixture
def queue(settings):
    """The Redis server at REDIS_URL, emptied before and after (as tests/test_outbox_broker.py's)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.mark.redis
def test_a_channel_keeps_one_client_until_its_pool_is_replaced(settings, fast_transport):
    with celery_app.connection_for_write(settings.REDIS_URL) as conn:
        channel = conn.default_channel
        client = channel._create_client()

        assert type(conn.transport).__module__ == "core.broker"
        assert channel._create_client() is client
        assert client.connection_pool is channel.pool
        assert channel._create_client(asynchronous=True) is not client  # BRPOP's client is kombu's

        channel._disconnect_pools()  # as after a fork or a failed PING
        fresh = channel._create_client()
        assert fresh is not client
        assert fresh.connection_pool is channel.pool is not client.connection_pool


@pytest.mark.redis
def test_messages_go_through_the_fast_transport_both_ways(settings, fast_transport, queue):
    with celery_app.connection_for_write(settings.REDIS_URL) as conn, conn.SimpleQueue("fast-probe") as probe:
        for n in range(3):
            probe.put({"n": n})
        received = []
        for _ in range(3):
            message = probe.get(timeout=5)
            received.append(message.payload)
            message.ack()
        channel = probe.channel

    assert received == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert (channel._pool, channel._sync_client) == (None, None)  # closed: its pool and client dropped


@pytest.mark.redis
def test_bounded_publishing_to_a_closed_port_fails_at_once(fast_transport):
    broker_tests.test_publishing_to_a_closed_port_fails_at_once_without_retrying()


@pytest.mark.redis
def test_bounded_publishing_to_a_hung_broker_fails_after_one_timeout(fast_transport, hung_broker, settings):
    broker_tests.test_publishing_to_a_broker_that_never_answers_fails_after_one_timeout(hung_broker, settings)


@pytest.mark.redis
def test_bounded_publishing_to_a_live_broker_goes_through_on_one_connection(fast_transport, queue, settings):
    with broker_tests.broker(settings.REDIS_URL), publishing.bounded():
        for n in range(5):
            broker_tests.order_score_priority_task.delay(order_id=n, event_id="e")
        connection = publishing._connection(celery_app)
        assert isinstance(connection.transport, broker.Transport)
        pool = connection.default_channel.pool

    assert [kwargs["order_id"] for _name, kwargs in broker_tests.published(queue)] == [0, 1, 2, 3, 4]
    assert pool._created_connections == 1


@pytest.mark.postgres
@pytest.mark.redis
def test_an_order_placed_while_the_broker_hangs_is_delivered_once_it_answers(
    transactional_db, fast_transport, queue, hung_broker
):
    broker_tests.test_with_a_broker_that_never_answers_the_request_returns_in_under_2_s_and_loses_nothing(
        transactional_db, queue, hung_broker
    )


@pytest.mark.postgres
@pytest.mark.redis
def test_a_real_worker_consumes_what_the_fast_transport_published(transactional_db, fast_transport, tmp_path):
    # The worker's environment points CELERY_BROKER_URL at redis://, so it runs on core.broker too.
    saved, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
    try:
        worker_tests.test_a_task_enqueued_here_is_run_by_a_real_worker(transactional_db, None, tmp_path)
    finally:
        celery_app.conf.task_always_eager = saved
    assert "core.broker:Transport" in (tmp_path / "worker.log").read_text(errors="replace")
