import uuid

import pytest

from crm.tests.factories import CustomerFactory
from orders.services import order_approve, order_reject, order_request_changes
from orders.tests.factories import make_order
from webhooks import tasks
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEventType
from webhooks.services import webhook_fanout
from webhooks.tasks import webhook_fanout_task
from webhooks.tests.factories import WebhookEndpointFactory

E = WebhookEventType


@pytest.fixture
def enqueued(monkeypatch):
    """Delivery task ids queued on commit (the broker is not involved)."""
    calls = []
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: calls.append(kw["delivery_id"]))
    return calls


@pytest.mark.django_db
def test_order_approval_is_delivered_to_subscribed_endpoints_of_the_customer_only(
    receiver, eager_celery, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    order = make_order(customer=customer)
    subscribed = WebhookEndpointFactory(customer=customer, url=receiver.url, event_types=[E.ORDER_APPROVED])
    receiver.secret = subscribed.secret
    unsubscribed = WebhookEndpointFactory(customer=customer, url=receiver.url, event_types=[E.INVOICE_ISSUED])
    other_customers = WebhookEndpointFactory(url=receiver.url, event_types=[])

    with django_capture_on_commit_callbacks(execute=True):
        order_approve(order_id=order.pk)

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == subscribed
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert not WebhookDelivery.objects.filter(endpoint__in=[unsubscribed, other_customers]).exists()
    [request] = receiver.received
    assert request.signature_ok
    body = request.json
    assert body["type"] == "order.approved"
    assert body["api_version"] == "v1"
    assert body["id"] == str(delivery.event_id) == request.headers["X-OMS-Event-Id"]
    assert body["data"]["order"]["number"] == order.number
    assert body["data"]["order"]["status"] == "approved"
    assert body["data"]["order"]["total"] == str(order.total)
    assert body["data"]["order"]["approved_at"].endswith("Z")
    assert body["data"]["order"]["lines"][0]["sku"] == order.lines.get().sku


@pytest.mark.django_db
def test_an_endpoint_with_no_event_types_gets_every_event(
    eager_celery, enqueued, django_capture_on_commit_callbacks
):
    order = make_order()
    endpoint = WebhookEndpointFactory(customer=order.customer, event_types=[])

    with django_capture_on_commit_callbacks(execute=True):
        order_reject(order_id=order.pk, reason="Credit hold")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "order.rejected"
    assert delivery.payload["data"]["reason"] == "Credit hold"
    assert enqueued == [delivery.pk]


@pytest.mark.django_db
def test_a_request_for_changes_reaches_the_dealer_with_what_to_change(
    eager_celery, enqueued, django_capture_on_commit_callbacks
):
    order = make_order()
    endpoint = WebhookEndpointFactory(customer=order.customer, event_types=[E.ORDER_CHANGES_REQUESTED])

    with django_capture_on_commit_callbacks(execute=True):
        order_request_changes(order_id=order.pk, reason="Split the delivery over two dates")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "order.changes_requested"
    assert delivery.payload["data"]["reason"] == "Split the delivery over two dates"
    assert delivery.payload["data"]["order"]["status"] == "draft"


@pytest.mark.django_db
def test_events_that_are_not_webhook_events_create_nothing(eager_celery, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    WebhookEndpointFactory(customer=customer, event_types=[])

    with django_capture_on_commit_callbacks(execute=True):
        make_order(customer=customer)  # order.submitted is not offered as a webhook

    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_fanning_out_the_same_event_twice_creates_one_delivery_and_queues_it_once(
    enqueued, django_capture_on_commit_callbacks
):
    order = make_order()
    endpoint = WebhookEndpointFactory(customer=order.customer)
    event = {
        "event_type": E.ORDER_APPROVED,
        "event_id": str(uuid.uuid4()),
        "payload": {"order_id": order.pk, "customer_id": order.customer_id, "status": "approved"},
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = webhook_fanout(**event)
    with django_capture_on_commit_callbacks(execute=True):
        second = webhook_fanout(**event)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert first == [delivery.pk]
    assert second == []
    assert enqueued == [delivery.pk]


@pytest.mark.django_db
def test_a_redelivered_fanout_task_sends_no_duplicate(
    receiver, eager_celery, django_capture_on_commit_callbacks
):
    order = make_order()
    endpoint = WebhookEndpointFactory(customer=order.customer, url=receiver.url)
    receiver.secret = endpoint.secret
    kwargs = {
        "event_type": E.ORDER_APPROVED,
        "event_id": str(uuid.uuid4()),
        "payload": {"order_id": order.pk, "customer_id": order.customer_id, "status": "approved"},
    }

    with django_capture_on_commit_callbacks(execute=True):
        webhook_fanout_task.apply(kwargs=kwargs)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_fanout_task.apply(kwargs=kwargs)

    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_disabled_endpoint_gets_no_delivery(enqueued):
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, is_active=False)

    created = webhook_fanout(
        event_type=E.ORDER_APPROVED,
        event_id=uuid.uuid4(),
        payload={"order_id": order.pk, "customer_id": order.customer_id},
    )

    assert created == []
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []


@pytest.mark.django_db
def test_an_unknown_event_type_is_ignored(enqueued):
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[])

    created = webhook_fanout(
        event_type="order.submitted",
        event_id=uuid.uuid4(),
        payload={"order_id": order.pk, "customer_id": order.customer_id},
    )

    assert created == []
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []


@pytest.mark.django_db
def test_a_backorder_passes_on_the_short_lines(enqueued):
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[E.ORDER_BACKORDERED])
    lines = [{"sku": order.lines.get().sku, "quantity_short": 3}]

    webhook_fanout(
        event_type=E.ORDER_BACKORDERED,
        event_id=uuid.uuid4(),
        payload={"order_id": order.pk, "customer_id": order.customer_id, "lines": lines},
    )

    data = WebhookDelivery.objects.get().payload["data"]
    assert data["backordered_lines"] == lines
    assert data["order"]["number"] == order.number


@pytest.mark.django_db
def test_an_inactive_customer_gets_no_delivery(enqueued):
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[])
    order.customer.is_active = False
    order.customer.save(update_fields=["is_active"])

    created = webhook_fanout(
        event_type=E.ORDER_APPROVED,
        event_id=uuid.uuid4(),
        payload={"order_id": order.pk, "customer_id": order.customer_id},
    )

    assert created == []
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []
