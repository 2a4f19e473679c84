"""Dealers hear of production through `order.eta_changed` and `production.delayed` (docs/webhooks.md)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from crm.tests.factories import CustomerFactory
from orders.services import order_line_production_update
from production.models import WorkOrder
from production.services import delays
from production.services.delays import delays_sweep
from production.states import WorkOrderStatus
from production.tests.factories_watch import built_order, watched_work_order
from webhooks import tasks
from webhooks.models import WebhookDelivery, WebhookEventType
from webhooks.services import webhook_fanout
from webhooks.tests.factories import WebhookEndpointFactory

E = WebhookEventType
TODAY = dt.date(2026, 3, 10)


def late_work_order(order):
    """Its first stage should have finished three hours ago and has not."""
    now = timezone.now()
    return watched_work_order(
        now=now,
        order=order,
        status=WorkOrderStatus.IN_PROGRESS,
        planned_start=now - dt.timedelta(days=2, hours=3),
        started=1,
    )


@pytest.mark.django_db
def test_an_eta_change_is_delivered_once_signed_to_the_dealer_endpoint_that_wants_it(
    receiver, eager_celery, django_capture_on_commit_callbacks
):
    order = built_order()
    line = order.lines.get()
    order_line_production_update(line_id=line.pk, promised_date=TODAY, eta=TODAY)
    endpoint = WebhookEndpointFactory(
        customer=order.customer, url=receiver.url, event_types=[E.ORDER_ETA_CHANGED]
    )
    WebhookEndpointFactory(customer=order.customer, event_types=[E.ORDER_APPROVED])
    WebhookEndpointFactory(customer=CustomerFactory(), event_types=[E.ORDER_ETA_CHANGED])
    receiver.secret = endpoint.secret

    with django_capture_on_commit_callbacks(execute=True):
        order_line_production_update(line_id=line.pk, eta=TODAY + dt.timedelta(days=4))

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    assert delivery.status == "succeeded"
    (received,) = receiver.received
    assert received.signature_ok
    body = received.json
    assert body["type"] == "order.eta_changed"
    assert body["data"]["eta_change"] == {
        "eta": "2026-03-14",
        "previous_eta": "2026-03-10",
        "promised_date": "2026-03-10",
    }
    assert body["data"]["order"]["number"] == order.number
    assert body["data"]["line"]["production"]["delayed"] is True


@pytest.mark.django_db
def test_a_delay_is_delivered_once_signed_to_the_dealer_endpoint_that_wants_it(
    receiver, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    # The shop floor's ETA rules are not under test: the estimate stays where it is.
    monkeypatch.setattr(
        delays,
        "work_order_eta_refresh",
        lambda *, work_order_id, actor=None: WorkOrder.objects.get(pk=work_order_id),
    )
    order = built_order()
    endpoint = WebhookEndpointFactory(
        customer=order.customer, url=receiver.url, event_types=[E.PRODUCTION_DELAYED]
    )
    WebhookEndpointFactory(customer=order.customer, event_types=[E.ORDER_APPROVED])
    WebhookEndpointFactory(customer=CustomerFactory(), event_types=[E.PRODUCTION_DELAYED])
    receiver.secret = endpoint.secret
    work_order = late_work_order(order)

    with django_capture_on_commit_callbacks(execute=True):
        delays_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        delays_sweep(now=timezone.now() + dt.timedelta(minutes=5))

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    (received,) = receiver.received
    assert received.signature_ok
    body = received.json
    assert body["type"] == "production.delayed"
    assert body["data"]["delay"] == {
        "reason": "stage_overrun",
        "work_order": work_order.number,
        "stage": "Frame welding",
        "eta": timezone.localdate(work_order.eta).isoformat(),
        "promised_date": work_order.promised_date.isoformat(),
    }


@pytest.mark.django_db
def test_the_body_of_a_delay_shows_the_line_and_where_its_build_stands(monkeypatch):
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: None)
    order = built_order()
    line = order.lines.get()
    order_line_production_update(
        line_id=line.pk, stage="Painting", progress=40, promised_date=TODAY, eta=TODAY + dt.timedelta(days=2)
    )
    WebhookEndpointFactory(customer=order.customer, event_types=[E.PRODUCTION_DELAYED])

    webhook_fanout(
        event_type=E.PRODUCTION_DELAYED,
        event_id=uuid.uuid4(),
        payload={
            "work_order_id": 1,
            "number": "WO-2026-000001",
            "order_id": order.pk,
            "order_number": order.number,
            "customer_id": order.customer_id,
            "line_id": line.pk,
            "sku": line.sku,
            "reason": "eta_past_promise",
            "stage": "",
            "eta": "2026-03-12",
            "promised_date": "2026-03-10",
        },
    )

    data = WebhookDelivery.objects.get().payload["data"]
    assert data["line"] == {
        "position": 1,
        "sku": line.sku,
        "description": line.description,
        "quantity": line.quantity,
        "production": {
            "stage": "Painting",
            "progress_percent": 40,
            "promised_date": "2026-03-10",
            "eta": "2026-03-12",
            "delayed": True,
        },
    }
    assert data["delay"]["reason"] == "eta_past_promise"
    assert data["order"]["id"] == order.pk


@pytest.mark.django_db
def test_a_delay_of_a_work_order_for_stock_reaches_no_dealer(monkeypatch):
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: None)
    WebhookEndpointFactory(event_types=[E.PRODUCTION_DELAYED])

    created = webhook_fanout(
        event_type=E.PRODUCTION_DELAYED,
        event_id=uuid.uuid4(),
        payload={"work_order_id": 1, "number": "WO-1", "order_id": None, "customer_id": None},
    )

    assert created == []
    assert not WebhookDelivery.objects.exists()
