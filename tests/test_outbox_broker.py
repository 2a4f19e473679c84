"""Domain events against real servers: PostgreSQL, Redis, a broker that is down or hung, a relay that dies.

Nothing here mocks the broker. "Down" is a closed port on 127.0.0.1; "hung" is a TCP server started
here that accepts connections and never answers; "back" is the Redis server at REDIS_URL, whose
default queue the test then reads (or a real worker consumes, as in test_worker_smoke).
"""

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu.exceptions import OperationalError as BrokerError

from config.cache import cache_reset
from config.celery import app as celery_app
from conftest import free_port
from core import events, outbox, publishing
from core.models import OutboxEvent
from core.outbox import outbox_relay
from inventory.tests.factories import ProductFactory
from orders.models import Order, OrderEvent
from orders.tasks import order_score_priority_task
from orders.tests.api.support import dealer
from tests.test_worker_smoke import _start_worker, _stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parent.parent
URL = "/api/v1/orders/"
SCORING = "orders.tasks.order_score_priority_task"
# `order.submitted` has the order scored and its review opened by a worker, one task for both (orders.apps).
SUBMITTED = "orders.tasks.order_submitted_task"
# A submitted order also moves its customer's credit exposure (finance.apps).
CREDIT = "finance.tasks.order_credit_refresh_task"


class HungBroker:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def close(self):
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def hung_broker():
    server = HungBroker()
    yield server
    server.close()


@contextlib.contextmanager
def broker(url: str):
    """Point the Celery app at `url` (publishing's connections follow the app's broker URL)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_always_eager)
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = url, {}, False
    publishing.discard()
    try:
        yield
    finally:
        publishing.discard()
        conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved


@pytest.fixture
def queue():
    """The Redis server at REDIS_URL, emptied; `published()` lists the tasks in its default queue."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def published(client) -> list[tuple[str, dict]]:
    tasks = []
    for raw in reversed(client.lrange("celery", 0, -1)):  # LPUSH: newest first
        message = json.loads(raw)
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], kwargs))
    return tasks


def _place_order(client) -> tuple[int, float]:
    product = ProductFactory(list_price="100.00")
    started = time.monotonic()
    response = client.post(
        URL,
        {"lines": [{"sku": product.sku, "quantity": 2}], "requested_delivery_date": "2099-01-31"},
        format="json",
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    return Order.objects.get(number=response.json()["number"]).pk, elapsed


def _event_of(order_id: int) -> OutboxEvent:
    return OutboxEvent.objects.get(name="order.submitted", aggregate_type="order", aggregate_id=str(order_id))


# --- what the bounded publisher does with each kind of broker ----------------------------------------


def test_publishing_to_a_closed_port_fails_at_once_without_retrying():
    with broker(f"redis://127.0.0.1:{free_port()}/0"), publishing.bounded():
        started = time.monotonic()
        with pytest.raises(BrokerError):
            order_score_priority_task.delay(order_id=1)
        assert time.monotonic() - started < 0.5


def test_publishing_to_a_broker_that_never_answers_fails_after_one_timeout(hung_broker, settings):
    settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS = 0.5
    with broker(hung_broker.url), publishing.bounded():
        started = time.monotonic()
        with pytest.raises(BrokerError):
            order_score_priority_task.delay(order_id=1)
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 1.5
    assert len(hung_broker.accepted) == 1  # one connection, no retry


def test_publishing_to_a_live_broker_goes_through(queue):
    with broker(settings.REDIS_URL), publishing.bounded():
        order_score_priority_task.delay(order_id=1, event_id="e")

    assert published(queue) == [(SCORING, {"order_id": 1, "event_id": "e"})]


# --- the request and the outbox ----------------------------------------------------------------------


def test_with_the_broker_port_closed_an_order_is_created_and_its_events_are_delivered_once_it_is_back(
    transactional_db, queue, tmp_path
):
    _customer, _user, client = dealer(tier="gold")

    # when a dealer places an order while nothing listens on the broker's port
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        order_id, elapsed = _place_order(client)

    # then the order is created at once and its event waits in the outbox
    assert elapsed < 2
    event = _event_of(order_id)
    assert (event.dispatched_at, event.attempts) == (None, 1)
    assert "Connection refused" in event.last_error
    assert published(queue) == []

    # when the broker is back, the relay sweep hands the event to its listeners
    with broker(settings.REDIS_URL):
        outbox_relay(grace_seconds=0)

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert published(queue) == [
        (CREDIT, {"order_id": order_id, "event_id": str(event.pk)}),
        (SUBMITTED, {"order_id": order_id, "event_id": str(event.pk)}),
    ]

    # and a real worker carries the follow-up work out
    worker = _start_worker("celery", tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            if OrderEvent.objects.filter(order_id=order_id, kind="order.priority_scored").exists():
                break
            time.sleep(0.25)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert OrderEvent.objects.filter(order_id=order_id, kind="order.priority_scored").exists(), log
    finally:
        _stop(worker)


def test_with_a_broker_that_never_answers_the_request_returns_in_under_2_s_and_loses_nothing(
    transactional_db, queue, hung_broker
):
    _customer, _user, client = dealer()

    with broker(hung_broker.url):
        first, first_elapsed = _place_order(client)
        # the fast path gave up: the next request does not even try the broker
        second, second_elapsed = _place_order(client)

    assert first_elapsed < 2
    assert second_elapsed < 2
    assert len(hung_broker.accepted) == 1
    assert outbox.fast_path_paused()
    assert [_event_of(o).dispatched_at for o in (first, second)] == [None, None]
    assert "Timeout" in _event_of(first).last_error

    with broker(settings.REDIS_URL):
        outbox_relay(grace_seconds=0)

    delivered = published(queue)
    for order_id in (first, second):
        event = _event_of(order_id)
        assert event.dispatched_at is not None
        assert (SUBMITTED, {"order_id": order_id, "event_id": str(event.pk)}) in delivered


@contextlib.contextmanager
def shared_redis_at(settings, url: str):
    """The documented stack: broker and cache on one Redis server (docker-compose.yml), here at `url`."""
    cache_reset()
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": url.replace("/0", "/1")}}
    try:
        with broker(url):
            yield
    finally:
        cache_reset()


def test_with_the_shared_redis_port_closed_an_order_is_still_created_at_once(transactional_db, settings):
    _customer, _user, client = dealer()

    with shared_redis_at(settings, f"redis://127.0.0.1:{free_port()}/0"):
        order_id, elapsed = _place_order(client)

    assert elapsed < 2
    assert _event_of(order_id).dispatched_at is None


def test_with_the_shared_redis_hung_two_orders_are_placed_in_under_2_s_each(
    transactional_db, settings, hung_broker
):
    _customer, _user, client = dealer()

    with shared_redis_at(settings, hung_broker.url):
        first, first_took = _place_order(client)
        second, second_took = _place_order(client)

    # the throttle and the pricing cache answer misses; the outbox keeps the events for the sweep
    assert first_took < 2
    assert second_took < 2
    assert (
        OutboxEvent.objects.filter(dispatched_at__isnull=True, aggregate_id__in=[first, second]).count() == 2
    )


def test_with_a_live_broker_the_request_hands_its_events_over_itself(transactional_db, queue):
    _customer, _user, client = dealer()

    with broker(settings.REDIS_URL):
        order_id, _elapsed = _place_order(client)

    event = _event_of(order_id)
    assert event.dispatched_at is not None
    assert published(queue) == [
        (CREDIT, {"order_id": order_id, "event_id": str(event.pk)}),
        (SUBMITTED, {"order_id": order_id, "event_id": str(event.pk)}),
    ]


# --- a relay that dies half-way ----------------------------------------------------------------------

RELAY_SCRIPT = """
import time

import django

django.setup()

import redis
from django.conf import settings

from core import events
from core.outbox import outbox_relay

client = redis.Redis.from_url(settings.REDIS_URL)


def slow(name, *, event_id, **payload):
    client.rpush("relayed", event_id)
    time.sleep(0.3)


events._listeners.clear()
events.subscribe("test.happened", slow)
outbox_relay(grace_seconds=0)
"""


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def test_a_relay_killed_half_way_still_delivers_every_event_at_least_once(
    transactional_db, queue, monkeypatch
):
    ids = [str(OutboxEvent.objects.create(name="test.happened", payload={"n": n}).pk) for n in range(8)]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }

    # when a relay process is killed after handing over some of the events
    relay = subprocess.Popen([sys.executable, "-c", RELAY_SCRIPT], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while queue.llen("relayed") < 3 and time.monotonic() < deadline and relay.poll() is None:
            time.sleep(0.05)
        assert queue.llen("relayed") >= 3, "the relay never started"
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
    before_kill = [i.decode() for i in queue.lrange("relayed", 0, -1)]
    assert len(before_kill) < len(ids)
    # nothing it handed over was marked: its transaction died with it
    assert OutboxEvent.objects.filter(dispatched_at__isnull=False).count() == 0

    # then the next sweep hands every event over (its locks are gone with the dead connection)
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("test.happened", lambda name, *, event_id, **payload: queue.rpush("relayed", event_id))
    deadline = time.monotonic() + 10
    while OutboxEvent.objects.filter(dispatched_at__isnull=True).exists() and time.monotonic() < deadline:
        outbox_relay(grace_seconds=0)
        time.sleep(0.1)

    relayed = [i.decode() for i in queue.lrange("relayed", 0, -1)]
    assert set(relayed) == set(ids)
    assert all(relayed.count(i) == 2 for i in before_kill)  # at least once: those went twice
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
