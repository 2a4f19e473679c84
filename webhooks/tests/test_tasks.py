import datetime as dt
import uuid

import pytest
from django.utils import timezone

from core import events
from webhooks import limits, tasks
from webhooks.apps import enqueue_fanout
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEventType
from webhooks.tasks import webhook_deliver_due_task, webhook_deliver_task
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


@pytest.fixture
def queued(monkeypatch):
    """Delivery task ids the sweep queued (the broker is not involved), and whether it queued itself."""
    calls = {"deliver": [], "sweep": []}
    monkeypatch.setattr(
        tasks.webhook_deliver_task, "delay", lambda **kw: calls["deliver"].append(kw["delivery_id"])
    )
    monkeypatch.setattr(tasks.webhook_deliver_due_task, "delay", lambda **kw: calls["sweep"].append(kw))
    return calls


@pytest.mark.django_db
def test_the_sweep_queues_a_task_per_due_delivery_of_active_endpoints_and_sends_nothing_itself(
    receiver, queued
):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    past = timezone.now() - dt.timedelta(minutes=1)
    due = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=past)
    WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    WebhookDeliveryFactory(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED, next_attempt_at=past)
    WebhookDeliveryFactory(
        endpoint=endpoint, next_attempt_at=past, leased_until=timezone.now() + dt.timedelta(seconds=30)
    )
    WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(url=receiver.url, is_active=False), next_attempt_at=past
    )
    WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(url=receiver.url, customer__is_active=False), next_attempt_at=past
    )

    webhook_deliver_due_task.apply()

    assert queued["deliver"] == [due.pk]
    assert receiver.received == []
    assert WebhookDelivery.objects.get(pk=due.pk).attempts == 0


@pytest.mark.django_db
def test_the_sweep_queues_a_bounded_batch_oldest_due_first_and_re_enqueues_itself_for_the_rest(queued):
    endpoint = WebhookEndpointFactory()
    now = timezone.now()
    deliveries = [
        WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=now - dt.timedelta(minutes=m))
        for m in (1, 3, 2)
    ]

    webhook_deliver_due_task.apply(kwargs={"batch": 2})

    assert queued["deliver"] == [deliveries[1].pk, deliveries[2].pk]
    assert len(queued["sweep"]) == 1

    # the next batch of the chain starts after the last one queued, though those are still due
    webhook_deliver_due_task.apply(kwargs=queued["sweep"][0])

    assert queued["deliver"] == [deliveries[1].pk, deliveries[2].pk, deliveries[0].pk]
    assert len(queued["sweep"]) == 1


@pytest.mark.django_db
def test_the_sweep_resends_a_delivery_whose_worker_died_mid_attempt(receiver, eager_celery):
    past = timezone.now() - dt.timedelta(minutes=2)
    delivery = WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(url=receiver.url), attempts=1, next_attempt_at=past, leased_until=past
    )

    webhook_deliver_due_task.apply()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert delivery.leased_until is None
    assert receiver.received[0].headers["X-OMS-Delivery-Attempt"] == "2"


def test_the_delivery_task_has_time_limits_within_its_lease():
    assert webhook_deliver_task.soft_time_limit == limits.task_soft_time_limit()
    assert webhook_deliver_task.time_limit == limits.task_time_limit()
    assert (
        limits.request_timeout()
        < limits.task_soft_time_limit()
        < limits.task_time_limit()
        < limits.lease_seconds()
    )


def test_the_listener_only_queues_a_fanout_under_the_event_s_own_id(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.webhook_fanout_many_task, "delay", lambda **kw: queued.append(kw))
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    payload = {"order_id": 1, "customer_id": 2, "status": "approved", "total": "1.50"}

    enqueue_fanout([("order.approved", first, payload)])
    enqueue_fanout([("order.approved", first, payload), ("order.approved", second, payload)])

    # a redelivered event keeps its id (the fan-out then creates nothing new); another event has its own;
    # events relayed together go in one task
    assert [[e["event_id"] for e in q["events"]] for q in queued] == [[first], [first, second]]
    sent = [event for q in queued for event in q["events"]]
    assert all(e["payload"] == payload and e["event_type"] == "order.approved" for e in sent)


def test_every_webhook_event_type_is_subscribed_and_nothing_else():
    assert all(enqueue_fanout in events.batch_listeners(name) for name in WebhookEventType.values)
    assert enqueue_fanout not in events.batch_listeners("order.submitted")
    assert enqueue_fanout not in events.batch_listeners("shipment.dispatched")


@pytest.mark.django_db
def test_the_fan_out_of_events_relayed_together_runs_each_once(monkeypatch):
    seen = []
    monkeypatch.setattr(tasks, "webhook_fanout", lambda **kw: seen.append(kw))
    batch = [
        {"event_type": "order.allocated", "event_id": str(uuid.uuid4()), "payload": {"order_id": n}}
        for n in range(3)
    ]

    tasks.webhook_fanout_many_task.apply(kwargs={"events": batch})

    assert seen == [
        {"event_type": e["event_type"], "event_id": e["event_id"], "payload": e["payload"]} for e in batch
    ]
