import datetime as dt

from django.utils import timezone

from finance.models import Invoice
from finance.states import InvoiceStatus


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
