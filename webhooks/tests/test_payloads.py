"""The documented bodies (docs/webhooks.md) for invoice and shipment events."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from finance.models import Invoice
from finance.states import InvoiceStatus
from logistics.models import Carrier, Shipment, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus
from orders.tests.factories import make_order
from webhooks import tasks
from webhooks.models import WebhookDelivery, WebhookEventType
from webhooks.payloads import encode
from webhooks.services import webhook_fanout
from webhooks.tests.factories import WebhookEndpointFactory

E = WebhookEventType


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: None)


@pytest.mark.django_db
def test_invoice_issued_body_carries_amounts_and_due_date():
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[E.INVOICE_ISSUED])
    invoice = Invoice.objects.create(
        number="INV-2026-000001",
        order=order,
        customer=order.customer,
        status=InvoiceStatus.ISSUED,
        currency="CNY",
        subtotal=Decimal("100.00"),
        tax_total=Decimal("13.00"),
        total=Decimal("113.00"),
        amount_paid=Decimal("13.00"),
        issued_at=timezone.now(),
        due_date=dt.date(2026, 12, 31),
    )
    event_id = uuid.uuid4()

    webhook_fanout(
        event_type=E.INVOICE_ISSUED,
        event_id=event_id,
        payload={
            "invoice_id": invoice.pk,
            "number": invoice.number,
            "customer_id": order.customer_id,
            "order_id": order.pk,
        },
    )

    body = WebhookDelivery.objects.get().payload
    assert body["id"] == str(event_id)
    assert body["type"] == "invoice.issued"
    data = body["data"]["invoice"]
    assert data["number"] == "INV-2026-000001"
    assert data["order_number"] == order.number
    assert (data["total"], data["amount_paid"], data["balance"]) == ("113.00", "13.00", "100.00")
    assert data["due_date"] == "2026-12-31"
    assert data["status"] == "issued"


@pytest.mark.django_db
def test_tracking_update_body_carries_carrier_tracking_link_and_latest_scan():
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[E.SHIPMENT_TRACKING_UPDATED])
    carrier = Carrier.objects.create(
        code="SF", name="SF Express", tracking_url_template="https://track.example/{number}"
    )
    shipment = Shipment.objects.create(
        number="SH-2026-000001",
        order=order,
        carrier=carrier,
        status=ShipmentStatus.IN_TRANSIT,
        tracking_number="SF123",
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    now = timezone.now()
    TrackingEvent.objects.create(
        shipment=shipment, occurred_at=now - dt.timedelta(hours=2), status="picked_up"
    )
    TrackingEvent.objects.create(
        shipment=shipment, occurred_at=now, status="in_transit", location="Wuhan hub"
    )

    webhook_fanout(
        event_type=E.SHIPMENT_TRACKING_UPDATED,
        event_id=uuid.uuid4(),
        payload={
            "shipment_id": shipment.pk,
            "number": shipment.number,
            "order_id": order.pk,
            "customer_id": order.customer_id,
            "status": shipment.status,
        },
    )

    data = WebhookDelivery.objects.get().payload["data"]["shipment"]
    assert data["carrier"] == {"code": "SF", "name": "SF Express"}
    assert data["tracking_url"] == "https://track.example/SF123"
    assert data["latest_event"]["status"] == "in_transit"
    assert data["latest_event"]["location"] == "Wuhan hub"
    assert data["lines"] == [
        {"sku": order.lines.get().sku, "description": order.lines.get().description, "quantity": 1}
    ]


@pytest.mark.django_db
def test_an_event_whose_row_is_gone_creates_nothing():
    order = make_order()
    WebhookEndpointFactory(customer=order.customer, event_types=[E.INVOICE_OVERDUE])

    created = webhook_fanout(
        event_type=E.INVOICE_OVERDUE,
        event_id=uuid.uuid4(),
        payload={"invoice_id": 987654, "customer_id": order.customer_id},
    )

    assert created == []
    assert not WebhookDelivery.objects.exists()


def test_encoding_is_compact_sorted_utf8():
    assert encode({"b": "红", "a": 1}) == '{"a":1,"b":"红"}'.encode()
