import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from finance.models import Invoice, Payment
from finance.states import InvoiceStatus
from orders.tests.factories import make_order


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft invoice row with fixed amounts; invoice_issue is the way to a real one."""

    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-2026-{n:06d}")
    order = factory.LazyFunction(make_order)
    customer = factory.SelfAttribute("order.customer")
    currency = "CNY"
    subtotal = Decimal("100.00")
    tax_total = Decimal("13.00")
    total = Decimal("113.00")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment row only: invoice amounts and exposure are not moved (payment_record does that)."""

    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("10.00")
    received_on = factory.LazyFunction(timezone.localdate)
    reference = "BANK-1"


def make_invoice(order, *, status=InvoiceStatus.ISSUED, number: str | None = None) -> Invoice:
    """An invoice in `status` copying the order's amounts (a given state for read tests)."""
    return Invoice.objects.create(
        number=number or f"INV-{order.number}",
        order=order,
        customer=order.customer,
        status=status,
        currency=order.currency,
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        tax_total=order.tax_total,
        shipping_fee=order.shipping_fee,
        total=order.total,
        issued_at=timezone.now() if status != InvoiceStatus.DRAFT else None,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
