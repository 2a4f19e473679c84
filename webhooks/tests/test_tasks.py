import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from core import events
from webhooks.apps import enqueue_fanout
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.tasks import webhook_deliver_due_task
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


@pytest.mark.django_db
def test_the_sweep_sends_only_due_deliveries_of_active_endpoints(receiver):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    past = timezone.now() - dt.timedelta(minutes=1)
    due = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=past)
    later = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    done = WebhookDeliveryFactory(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED, next_attempt_at=past)
    leased = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=past,
                                    leased_until=timezone.now() + dt.timedelta(seconds=30))
    paused = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=receiver.url, is_active=False),
                                    next_attempt_at=past)

    webhook_deliver_due_task.apply()

    assert [r.headers["X-OMS-Event-Id"] for r in receiver.received] == [str(due.event_id)]
    states = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert states[due.pk] == DeliveryStatus.SUCCEEDED
    assert [states[d.pk] for d in (later, leased, paused)] == [DeliveryStatus.PENDING] * 3
    assert states[done.pk] == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db
def test_the_sweep_re_enqueues_itself_while_a_full_batch_was_handled(receiver, monkeypatch):
    queued = []
    monkeypatch.setattr(webhook_deliver_due_task, "delay", lambda **kw: queued.append(kw))
    endpoint = WebhookEndpointFactory(url=receiver.url)
    for _ in range(3):
        WebhookDeliveryFactory(endpoint=endpoint)

    webhook_deliver_due_task.apply(kwargs={"batch": 2})
    assert queued == [{"batch": 2}] and len(receiver.received) == 2

    webhook_deliver_due_task.apply(kwargs={"batch": 2})
    assert queued == [{"batch": 2}] and len(receiver.received) == 3


def test_the_listener_only_queues_a_fanout_with_a_fresh_event_id(monkeypatch):
    from webhooks import tasks

    queued = []
    monkeypatch.setattr(tasks.webhook_fanout_task, "delay", lambda **kw: queued.append(kw))

    enqueue_fanout("order.approved", order_id=1, customer_id=2, status="approved", total=Decimal("1.50"))
    enqueue_fanout("order.approved", order_id=1, customer_id=2, status="approved", total=Decimal("1.50"))

    assert [q["payload"] for q in queued] == [{"order_id": 1, "customer_id": 2, "status": "approved",
                                               "total": "1.50"}] * 2
    ids = {uuid.UUID(q["event_id"]) for q in queued}
    assert len(ids) == 2
    assert all(q["event_type"] == "order.approved" and q["occurred_at"] for q in queued)


def test_every_webhook_event_type_is_subscribed_and_nothing_else():
    from webhooks.models import WebhookEventType

    assert all(enqueue_fanout in events.listeners(name) for name in WebhookEventType.values)
    assert enqueue_fanout not in events.listeners("order.submitted")
    assert enqueue_fanout not in events.listeners("shipment.dispatched")


@pytest.mark.django_db
def test_the_sweep_resends_a_delivery_whose_worker_died_mid_attempt(receiver):
    past = timezone.now() - dt.timedelta(minutes=2)
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=receiver.url), attempts=1,
                                      next_attempt_at=past, leased_until=past)

    webhook_deliver_due_task.apply()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2 and delivery.leased_until is None
    assert receiver.received[0].headers["X-OMS-Delivery-Attempt"] == "2"
