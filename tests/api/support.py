"""Helpers shared by the dealer API tests (orders, finance, logistics and the cross-app ones)."""

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from core.services import api_token_create
from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from finance.models import Invoice
from finance.states import InvoiceStatus
from logistics.models import Carrier, Shipment, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus
from orders.models import Channel
from orders.tests.factories import make_order


def client_for(user) -> APIClient:
    """An API client authenticated the way integrations are: `Authorization: Token <key>`."""
    _token, key = api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def dealer(**customer_kwargs):
    """A dealer customer with a default address, one user acting for it and that user's API client."""
    customer = CustomerFactory(**customer_kwargs)
    AddressFactory(customer=customer)
    user = dealer_user(customer)
    return customer, user, client_for(user)


def dealer_order(customer, **kwargs):
    return make_order(customer=customer, channel=Channel.DEALER_API, **kwargs)


def make_invoice(order, *, status=InvoiceStatus.ISSUED, number: str | None = None) -> Invoice:
    return Invoice.objects.create(
        number=number or f"INV-{order.number}", order=order, customer=order.customer, status=status,
        currency=order.currency, subtotal=order.subtotal, discount_total=order.discount_total,
        tax_total=order.tax_total, shipping_fee=order.shipping_fee, total=order.total,
        issued_at=timezone.now() if status != InvoiceStatus.DRAFT else None,
        due_date=timezone.localdate() + dt.timedelta(days=30))


def make_shipment(order, *, number: str | None = None, tracking_events: int = 1) -> Shipment:
    carrier, _created = Carrier.objects.get_or_create(
        code="SF", defaults={"name": "SF Express", "tracking_url_template": "https://sf.example/t/{number}"})
    shipment = Shipment.objects.create(number=number or f"SH-{order.number}", order=order, carrier=carrier,
                                       status=ShipmentStatus.IN_TRANSIT, tracking_number=f"SF{order.pk:08d}",
                                       shipped_at=timezone.now())
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity)
                                      for line in order.lines.all()])
    TrackingEvent.objects.bulk_create([
        TrackingEvent(shipment=shipment, status="in_transit", location=f"Hub {i}", description="Scanned",
                      occurred_at=timezone.now() - dt.timedelta(hours=i))
        for i in range(tracking_events)])
    return shipment

