"""Writers that change many documents at once: emit_many, the relay of events relayed together, batch
listeners (core.lifecycle.transition_many is tested with orders' lifecycle in orders/tests)."""

from collections import defaultdict

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from core import events, outbox
from core.models import OutboxEvent


@pytest.fixture
def heard(monkeypatch):
    """(name, payload) handed to listeners, in order; other apps' listeners are detached."""
    calls = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, *, event_id, **payload: calls.append((name, payload)))
    outbox.fast_path_reset()
    return calls


@pytest.mark.django_db
def test_emit_many_writes_every_event_and_relays_them_in_order_after_commit(
    heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = events.emit_many([("order.allocated", {"order_id": 1}), ("order.backordered", {"order_id": 2})])
        assert heard == []

    assert heard == [("order.allocated", {"order_id": 1}), ("order.backordered", {"order_id": 2})]
    rows = {row.pk: row for row in OutboxEvent.objects.all()}
    assert list(rows) == ids or set(rows) == set(ids)
    assert [(rows[i].aggregate_type, rows[i].aggregate_id) for i in ids] == [("order", "1"), ("order", "2")]
    assert all(row.dispatched_at is not None for row in rows.values())


@pytest.mark.django_db
def test_emit_many_inside_a_rolled_back_savepoint_keeps_and_relays_nothing(
    heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit("order.approved", order_id=1)
        try:
            with transaction.atomic():
                events.emit_many([("order.allocated", {"order_id": 2}), ("order.allocated", {"order_id": 3})])
                raise RuntimeError
        except RuntimeError:
            pass

    assert heard == [("order.approved", {"order_id": 1})]
    assert list(OutboxEvent.objects.values_list("aggregate_id", flat=True)) == ["1"]


@pytest.mark.django_db
def test_emit_many_refuses_a_reserved_key_and_writes_nothing(heard):
    with pytest.raises(TypeError), transaction.atomic():
        events.emit_many([("order.allocated", {"order_id": 1}), ("order.allocated", {"event_id": "x"})])
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_a_broker_failure_in_a_batch_leaves_that_event_and_the_rest_to_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    handed = []

    def listener(name, *, event_id, n):
        if n == 1:
            raise OperationalError("broker down")
        handed.append(n)

    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("test.batch", listener)
    outbox.fast_path_reset()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit_many([("test.batch", {"n": n}) for n in range(3)])
    outbox.fast_path_reset()

    assert handed == [0]
    by_n = {row.payload["n"]: row for row in OutboxEvent.objects.all()}
    assert by_n[0].dispatched_at is not None
    assert (by_n[1].dispatched_at, by_n[1].attempts) == (None, 1)
    assert (by_n[2].dispatched_at, by_n[2].attempts) == (None, 0)


@pytest.mark.django_db
def test_a_listener_failing_in_a_batch_holds_back_only_its_own_event(
    monkeypatch, django_capture_on_commit_callbacks
):
    def listener(name, *, event_id, n):
        if n == 1:
            raise ValueError("bad payload")

    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("test.batch", listener)
    outbox.fast_path_reset()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit_many([("test.batch", {"n": n}) for n in range(3)])

    pending = sorted(row.payload["n"] for row in OutboxEvent.objects.filter(dispatched_at__isnull=True))
    assert pending == [1]


@pytest.mark.django_db
def test_a_batch_listener_gets_the_events_relayed_together_in_one_call_and_the_sweep_one_by_one(
    monkeypatch, django_capture_on_commit_callbacks, settings
):
    calls = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe_batch(
        "test.batch", lambda items: calls.append([payload["n"] for _n, _id, payload in items])
    )
    outbox.fast_path_reset()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit_many([("test.batch", {"n": n}) for n in range(3)])
    assert calls == [[0, 1, 2]]
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()

    # the sweep hands a pending event over alone
    OutboxEvent.objects.update(dispatched_at=None)
    settings.OUTBOX_RELAY_GRACE_SECONDS = 0
    outbox.outbox_relay()
    assert calls[1:] == [[0], [1], [2]]


@pytest.mark.django_db
def test_a_failing_batch_listener_holds_back_its_events_only(monkeypatch, django_capture_on_commit_callbacks):
    def fail(items):
        raise ValueError("no")

    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe_batch("test.batch", fail)
    events.subscribe("test.other", lambda name, *, event_id, **payload: None)
    outbox.fast_path_reset()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit_many([("test.batch", {"n": 0}), ("test.other", {"n": 1}), ("test.batch", {"n": 2})])

    pending = sorted(row.payload["n"] for row in OutboxEvent.objects.filter(dispatched_at__isnull=True))
    assert pending == [0, 2]
    assert {row.attempts for row in OutboxEvent.objects.filter(dispatched_at__isnull=True)} == {1}
