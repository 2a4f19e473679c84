import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from finance.models import DunningLevel, Invoice, InvoiceReminder, Payment
from finance.states import InvoiceStatus
from orders.states import OrderStatus
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


# The levels finance/migrations/0006 installs (a flushed test database has lost them).
DEFAULT_LEVELS = (
    (1, "Friendly reminder", 7, "friendly"),
    (2, "Firm reminder", 21, "firm"),
    (3, "Final notice", 45, "final"),
)


def default_levels() -> list[DunningLevel]:
    """The default reminder levels (7 friendly, 21 firm, 45 final), created if missing."""
    return [
        DunningLevel.objects.get_or_create(
            level=level, defaults={"name": name, "days_overdue": days, "tone": tone}
        )[0]
        for level, name, days, tone in DEFAULT_LEVELS
    ]


def make_open_invoice(
    *, customer=None, days_overdue: int = 0, total: Decimal = Decimal("113.00"), number: str | None = None
) -> Invoice:
    """An issued invoice (overdue once past due) of a shipped order, due `days_overdue` days ago; a given
    state for collections tests (amounts as set here, not from the order)."""
    order = make_order(customer=customer, status=OrderStatus.SHIPPED)
    due = timezone.localdate() - dt.timedelta(days=days_overdue)
    return Invoice.objects.create(
        number=number or f"INV-{order.number}",
        order=order,
        customer=order.customer,
        status=InvoiceStatus.OVERDUE if days_overdue > 0 else InvoiceStatus.ISSUED,
        currency=order.currency,
        subtotal=total,
        total=total,
        issued_at=timezone.now() - dt.timedelta(days=days_overdue + 30),
        overdue_at=timezone.now() if days_overdue > 0 else None,
        due_date=due,
    )


def make_reminder(invoice: Invoice | None = None, *, level: DunningLevel | None = None) -> InvoiceReminder:
    """A reminder row as the dunning run writes it (without its timeline and notification)."""
    invoice = invoice or make_open_invoice(days_overdue=10)
    level = level or default_levels()[0]
    return InvoiceReminder.objects.create(
        invoice=invoice,
        customer_id=invoice.customer_id,
        level=level,
        days_overdue=(timezone.localdate() - invoice.due_date).days,
        balance=invoice.balance,
        recipients={"emails": ["billing@example.com"], "users": []},
        notification_key=f"invoice.reminder:{invoice.pk}:{level.level}",
    )
