"""The relay process (OUTBOX_RELAY_PROCESS): requests only write their events; a process woken by the
outbox insert's commit (PostgreSQL LISTEN/NOTIFY) hands them over. Real PostgreSQL and Redis."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from conftest import free_port
from core.models import OutboxEvent
from core.outbox import outbox_dispatch_pending, outbox_listen
from orders.tests.api.support import dealer
from tests.test_outbox_broker import (
    CREDIT,
    SUBMITTED,
    _event_of,
    _place_order,
    broker,
    published,
    queue,  # noqa: F401  (fixture)
)
from tests.test_worker_smoke import ROOT, _database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def relay_mode(settings):
    settings.OUTBOX_RELAY_PROCESS = True


class Relay:
    """outbox_listen in a thread, with its own database connections, until stopped."""

    def __init__(self, idle_seconds: float):
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(idle_seconds,), daemon=True)

    def _run(self, idle_seconds):
        try:
            outbox_listen(idle_seconds=idle_seconds, should_stop=self.stopping.is_set)
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            self.errors.append(exc)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=10)


def _wait_dispatched(order_id: int, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if _event_of(order_id).dispatched_at is not None:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"the event of order {order_id} was not dispatched within {seconds} s")


def test_with_a_relay_process_a_request_only_writes_its_events(transactional_db, relay_mode):
    _customer, _user, client = dealer()

    # when a dealer places an order while nothing listens on the broker's port
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        order_id, elapsed = _place_order(client)

    # then the request never tried the broker: the event waits, untouched, for the relay
    event = _event_of(order_id)
    assert elapsed < 2
    assert (event.dispatched_at, event.attempts, event.last_error) == (None, 0, "")


def test_the_relay_hands_an_order_s_events_over_as_soon_as_it_commits(transactional_db, relay_mode, queue):  # noqa: F811
    _customer, _user, client = dealer()
    with broker(settings.REDIS_URL), Relay(idle_seconds=30) as relay:
        time.sleep(0.3)  # listening, its first pass done
        order_id, _elapsed = _place_order(client)
        # woken by the commit, not by its 30 s idle timeout
        took = _wait_dispatched(order_id, seconds=5)

    assert relay.errors == []
    assert took < 5
    event = _event_of(order_id)
    assert (CREDIT, {"order_id": order_id, "event_id": str(event.pk)}) in published(queue)
    assert (SUBMITTED, {"order_id": order_id, "event_id": str(event.pk)}) in published(queue)


def test_a_relay_started_late_hands_over_what_was_committed_before(transactional_db, relay_mode, queue):  # noqa: F811
    _customer, _user, client = dealer()
    with broker(settings.REDIS_URL):
        orders = [_place_order(client)[0] for _ in range(3)]
        with Relay(idle_seconds=30) as relay:
            for order_id in orders:
                _wait_dispatched(order_id, seconds=5)

    assert relay.errors == []
    submitted = [kwargs["order_id"] for task, kwargs in published(queue) if task == SUBMITTED]
    assert submitted == orders  # oldest first, each once


def test_a_pass_with_the_broker_down_records_it_and_the_next_delivers(transactional_db, relay_mode, queue):  # noqa: F811
    _customer, _user, client = dealer()
    order_id, _elapsed = _place_order(client)

    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        assert outbox_dispatch_pending() == (0, True)
    event = _event_of(order_id)
    assert (event.dispatched_at, event.attempts) == (None, 1)

    with broker(settings.REDIS_URL):
        assert outbox_dispatch_pending() == (1, False)
    assert _event_of(order_id).dispatched_at is not None
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0


def test_the_command_needs_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError):
        call_command("outbox_relay")


def test_the_command_hands_an_order_s_events_over_and_stops_on_sigterm(
    transactional_db,
    relay_mode,
    queue,  # noqa: F811
    tmp_path,
):
    """`manage.py outbox_relay` as compose runs it: a process of its own, woken by the commit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "TEST_CELERY_BROKER_URL": settings.REDIS_URL,
        "OUTBOX_RELAY_PROCESS": "1",
    }
    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        relay = subprocess.Popen(
            [sys.executable, "manage.py", "outbox_relay", "--idle-seconds", "30"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _customer, _user, client = dealer()
        time.sleep(2)  # started and listening
        with broker(settings.REDIS_URL):
            order_id, _elapsed = _place_order(client)
        _wait_dispatched(order_id, seconds=10)
        assert (SUBMITTED, {"order_id": order_id, "event_id": str(_event_of(order_id).pk)}) in published(
            queue
        )

        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=35) == 0, log.read_text()
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait(timeout=5)
