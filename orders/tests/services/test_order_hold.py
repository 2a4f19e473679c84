import pytest

from core import events
from core.errors import InvalidTransition
from core.models import OutboxEvent
from core.outbox import outbox_relay
from orders import tasks
from orders.services import order_cancel, order_hold, order_release_hold, order_transition
from orders.states import OrderStatus, can_cancel
from orders.tests.factories import make_order

S = OrderStatus


@pytest.mark.django_db
def test_a_hold_does_not_open_a_way_to_cancel_what_is_ready_to_ship():
    order = make_order(status=S.READY_TO_SHIP)
    order_hold(order_id=order.pk, reason="address check")
    events_before = order.events.count()

    with pytest.raises(InvalidTransition):
        order_cancel(order_id=order.pk, reason="changed my mind")

    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    assert order.events.count() == events_before
    assert not can_cancel(order.status, status_before_hold=order.status_before_hold)


@pytest.mark.django_db
def test_an_order_held_while_cancellable_can_still_be_cancelled():
    order = make_order(status=S.APPROVED)
    order_hold(order_id=order.pk, reason="credit check")
    assert order_cancel(order_id=order.pk, reason="customer withdrew").status == S.CANCELLED


@pytest.mark.django_db
def test_release_keeps_the_first_stamp_and_announces_a_release(django_capture_on_commit_callbacks):
    seen = []
    events.subscribe("*", lambda name, **payload: seen.append(name))
    order = make_order()
    order_transition(order_id=order.pk, to=S.APPROVED)
    order.refresh_from_db()
    approved_at = order.approved_at

    with django_capture_on_commit_callbacks(execute=True):
        order_hold(order_id=order.pk, reason="credit check")
        order_release_hold(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert order.approved_at == approved_at
    assert seen[-2:] == ["order.on_hold", "order.released"]
    assert list(order.events.order_by("-id").values_list("kind", flat=True)[:1]) == ["order.released"]


@pytest.mark.django_db
def test_a_broker_failure_after_commit_neither_raises_nor_loses_the_events(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(**kwargs):
        raise ConnectionError("broker down")

    # approval queues the order's stock allocation
    monkeypatch.setattr(tasks.order_allocate_task, "delay", broker_down)
    seen = []
    events.subscribe("order.approved", lambda name, **payload: seen.append(payload["number"]))
    order = make_order()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to=S.APPROVED)

    # the change is committed; its event waits in the outbox for the relay sweep
    order.refresh_from_db()
    assert order.status == S.APPROVED
    event = OutboxEvent.objects.get(name="order.approved", aggregate_type="order", aggregate_id=str(order.pk))
    assert (event.dispatched_at, event.attempts) == (None, 1)
    assert "broker down" in event.last_error
    assert seen == []

    # once the broker is back, the sweep hands it to every listener
    monkeypatch.setattr(tasks.order_allocate_task, "delay", lambda **kwargs: None)
    outbox_relay(grace_seconds=0)

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert seen == [order.number]
