"""The fast path never waits for a relay sweep that holds the same event (PostgreSQL row locks)."""

import datetime as dt
import threading
import time
from collections import defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from core import events, outbox
from core.models import OutboxEvent

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_a_request_does_not_wait_for_a_sweep_publishing_its_event(monkeypatch):
    # Given an event already due for the sweep (its transaction ran longer than the grace after
    # emit()), and a sweep that holds it while publishing to a slow broker
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    holding = threading.Event()

    def listener(name, *, event_id, **payload):
        if threading.current_thread().name == "sweep":
            holding.set()
            time.sleep(2)

    events.subscribe("test.slow", listener)
    event = OutboxEvent.objects.create(
        name="test.slow", occurred_at=timezone.now() - dt.timedelta(seconds=10)
    )

    def sweep():
        try:
            outbox.outbox_relay(grace_seconds=5)
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep, name="sweep")
    sweeper.start()
    assert holding.wait(5)

    # When the request's own fast path relays it
    started = time.monotonic()
    outbox.relay_committed(event_id=event.pk, name="test.slow", payload={})
    waited = time.monotonic() - started
    sweeper.join()

    # Then it returns at once, and the sweep marks the event dispatched
    assert waited < 1
    event.refresh_from_db()
    assert event.dispatched_at is not None
