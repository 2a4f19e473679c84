"""emit(): the event row shares the change's transaction; the relay hands it over after commit."""

import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from core import events, outbox
from core.models import OutboxEvent


@pytest.fixture
def heard(monkeypatch):
    """What listeners were called with: (name, event_id, payload); other apps' listeners are detached."""
    calls = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, *, event_id, **payload: calls.append((name, event_id, payload)))
    return calls


@pytest.mark.django_db
def test_an_event_is_written_with_its_aggregate_and_a_json_payload(heard):
    with transaction.atomic():
        event_id = events.emit("invoice.issued", invoice_id=7, total=Decimal("12.50"), number="INV-1")

    event = OutboxEvent.objects.get()
    assert event.pk == event_id
    assert (event.name, event.aggregate_type, event.aggregate_id) == ("invoice.issued", "invoice", "7")
    assert event.payload == {"invoice_id": 7, "total": "12.50", "number": "INV-1"}
    assert event.occurred_at is not None


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event_and_relays_nothing(heard, django_capture_on_commit_callbacks):
    with (  # noqa: PT012
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.emit("order.approved", order_id=1)
        raise RuntimeError("the change failed")

    assert not OutboxEvent.objects.exists()
    assert heard == []


@pytest.mark.django_db
def test_an_event_inside_a_rolled_back_savepoint_is_neither_kept_nor_relayed(
    heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = events.emit("order.approved", order_id=1)
        with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
            events.emit("order.cancelled", order_id=1)
            raise RuntimeError

    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [kept]
    assert [name for name, _id, _payload in heard] == ["order.approved"]


@pytest.mark.django_db
def test_after_commit_listeners_get_the_event_id_and_the_event_is_marked_dispatched(
    heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_id = events.emit("order.approved", order_id=1, total=Decimal("3.00"))
        assert heard == []  # nothing leaves before commit

    assert heard == [("order.approved", str(event_id), {"order_id": 1, "total": "3.00"})]
    assert OutboxEvent.objects.get().dispatched_at is not None


@pytest.mark.django_db
def test_a_failing_listener_neither_fails_the_commit_nor_loses_the_event(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(events, "_listeners", defaultdict(list))

    def broken(name, **payload):
        raise ValueError("listener bug")

    events.subscribe("order.approved", broken)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit("order.approved", order_id=1)

    event = OutboxEvent.objects.get()
    assert (event.dispatched_at, event.attempts) == (None, 1)
    assert event.last_error == "ValueError: listener bug"


@pytest.mark.django_db
def test_the_event_id_is_a_reserved_payload_key():
    with pytest.raises(TypeError):
        events.emit("order.approved", order_id=1, event_id=str(uuid.uuid4()))
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_a_broker_failure_pauses_the_fast_path_and_a_listener_bug_does_not(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    failures = iter([ValueError("listener bug"), OperationalError("Connection refused")])

    def failing(name, **payload):
        raise next(failures)

    events.subscribe("order.approved", failing)

    with django_capture_on_commit_callbacks(execute=True):
        events.emit("order.approved", order_id=1)
    assert not outbox.fast_path_paused()

    with django_capture_on_commit_callbacks(execute=True):
        events.emit("order.approved", order_id=2)
    assert outbox.fast_path_paused()

    # while paused, events are left to the sweep without a try
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("order.approved", order_id=3)
    assert sorted(OutboxEvent.objects.values_list("aggregate_id", "attempts")) == [
        ("1", 1),
        ("2", 1),
        ("3", 0),
    ]
