"""Follow-up work of orders starts from their domain events (orders.apps), never from the services."""

import datetime as dt

import pytest
from django.utils import timezone

from config.celery import app
from core.models import OutboxEvent
from core.outbox import outbox_relay
from orders import tasks
from orders.models import Order, OrderEvent
from orders.services import order_update
from orders.states import OrderStatus
from orders.tests.factories import make_order, recount_commitments


@pytest.fixture
def scoring(monkeypatch):
    """Scoring tasks queued (the broker is not involved): (order_id, event_id)."""
    queued = []
    monkeypatch.setattr(
        tasks.order_score_priority_task, "delay", lambda **kw: queued.append((kw["order_id"], kw["event_id"]))
    )
    return queued


@pytest.mark.django_db
def test_a_new_order_is_scored_and_reviewed_by_one_task_under_its_event_id(
    monkeypatch, scoring, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        tasks.order_submitted_task, "delay", lambda **kw: queued.append((kw["order_id"], kw["event_id"]))
    )
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order()

    event = OutboxEvent.objects.get(name="order.submitted")
    assert queued == [(order.pk, str(event.pk))]
    assert scoring == []  # no separate scoring message


@pytest.mark.django_db
def test_an_edit_is_rescored_only_when_it_moves_the_score(scoring, django_capture_on_commit_callbacks):
    order = make_order()

    with django_capture_on_commit_callbacks(execute=True):
        order_update(order_id=order.pk, notes="call first")
    assert scoring == []

    with django_capture_on_commit_callbacks(execute=True):
        order_update(
            order_id=order.pk,
            requested_delivery_date=timezone.localdate() + dt.timedelta(days=2),
            update_requested_date=True,
        )
    assert [order_id for order_id, _ in scoring] == [order.pk]


@pytest.mark.django_db
def test_a_status_event_relayed_twice_scores_the_order_once():
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=2))
    Order.objects.filter(pk=order.pk).update(priority=0)
    event = OutboxEvent.objects.get(name="order.submitted")
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        outbox_relay(grace_seconds=0)
        OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
        outbox_relay(grace_seconds=0)
    finally:
        app.conf.task_always_eager = saved

    assert OrderEvent.objects.filter(order=order, kind="order.priority_scored").count() == 1


@pytest.mark.django_db
def test_the_rescoring_sweep_walks_open_orders_in_batches_and_re_enqueues_itself(monkeypatch):
    orders = [make_order() for _ in range(3)]
    closed = make_order()
    Order.objects.filter(pk=closed.pk).update(status=OrderStatus.CANCELLED)
    recount_commitments()
    Order.objects.update(priority=100)
    again = []
    monkeypatch.setattr(tasks.order_rescore_open_task, "delay", lambda **kw: again.append(kw))

    tasks.order_rescore_open_task(batch=2)
    assert again == [{"after": orders[1].pk, "batch": 2}]
    tasks.order_rescore_open_task(**again[0])

    assert again == [{"after": orders[1].pk, "batch": 2}]
    scored = set(OrderEvent.objects.filter(kind="order.priority_scored").values_list("order_id", flat=True))
    assert scored == {o.pk for o in orders}
