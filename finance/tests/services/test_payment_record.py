import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from crm.tests.factories import CustomerFactory
from finance.models import Invoice, InvoiceEvent, Payment
from finance.services import invoice_issue, invoice_mark_overdue, payment_record
from finance.states import InvoiceStatus
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order

INV = InvoiceStatus


def _invoice(total: str = "100.00", customer=None) -> Invoice:
    order = make_order(customer=customer, status=OrderStatus.SHIPPED)
    Order.objects.filter(pk=order.pk).update(total=Decimal(total))
    return invoice_issue(order_id=order.pk)


def _snapshot(invoice) -> tuple:
    invoice.refresh_from_db()
    invoice.customer.refresh_from_db()
    return (
        invoice.status,
        invoice.amount_paid,
        Payment.objects.filter(invoice=invoice).count(),
        InvoiceEvent.objects.filter(invoice=invoice).count(),
        invoice.customer.credit_exposure,
    )


def _pay(invoice, amount, received_on=None, **kwargs) -> Payment:
    return payment_record(
        invoice_id=invoice.pk, amount=amount, received_on=received_on or timezone.localdate(), **kwargs
    )


@pytest.mark.django_db
def test_a_part_payment_makes_the_invoice_partially_paid():
    invoice = _invoice("100.00")

    payment = _pay(invoice, Decimal("40.00"), reference="BANK-1")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance) == (
        INV.PARTIALLY_PAID,
        Decimal("40.00"),
        Decimal("60.00"),
    )
    assert (payment.amount, payment.reference) == (Decimal("40.00"), "BANK-1")
    invoice.customer.refresh_from_db()
    assert invoice.customer.credit_exposure == Decimal("60.00")
    assert list(invoice.events.order_by("id").values_list("kind", flat=True))[-2:] == [
        "invoice.payment_recorded",
        "invoice.partially_paid",
    ]


@pytest.mark.django_db
def test_paying_the_balance_makes_the_invoice_paid(emitted, django_capture_on_commit_callbacks):
    invoice = _invoice("100.00")
    _pay(invoice, Decimal("40.00"))

    with django_capture_on_commit_callbacks(execute=True):
        _pay(invoice, Decimal("60.00"))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (INV.PAID, Decimal("100.00"))
    assert invoice.paid_at is not None
    invoice.customer.refresh_from_db()
    assert invoice.customer.credit_exposure == Decimal("0.00")
    assert [name for name, _ in emitted] == ["invoice.paid"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("paid", "recorded"),
    [
        ("33.335", "33.34"),  # half-up, not banker's rounding
        ("33.334", "33.33"),
        ("0.005", "0.01"),
        (0.1, "0.10"),  # a float goes through str, so 0.1 stays 0.1
        ("12", "12.00"),
    ],
)
def test_amounts_are_rounded_half_up_to_the_cent(paid, recorded):
    invoice = _invoice("100.00")

    payment = _pay(invoice, paid)

    invoice.refresh_from_db()
    assert payment.amount == invoice.amount_paid == Decimal(recorded)


@pytest.mark.django_db
def test_three_thirds_pay_an_invoice_exactly():
    invoice = _invoice("99.99")

    for _ in range(3):
        _pay(invoice, Decimal("33.33"))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (INV.PAID, Decimal("0.00"))


@pytest.mark.django_db
def test_rounding_up_to_the_balance_pays_it():
    invoice = _invoice("10.00")

    _pay(invoice, "9.995")

    invoice.refresh_from_db()
    assert invoice.status == INV.PAID


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("10.005", "amount"),  # rounds to 10.01, a cent above the balance
        ("0.004", "amount"),  # rounds to 0.00
        ("0", "amount"),
        ("-5", "amount"),
        ("abc", "amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(amount, field):
    invoice = _invoice("10.00")
    before = _snapshot(invoice)

    with pytest.raises(ValidationFailed) as refused:
        _pay(invoice, amount)

    assert field in refused.value.fields
    assert _snapshot(invoice) == before


@pytest.mark.django_db
def test_a_future_receipt_date_is_refused():
    invoice = _invoice()
    before = _snapshot(invoice)

    with pytest.raises(ValidationFailed) as refused:
        _pay(invoice, "1.00", received_on=timezone.localdate() + dt.timedelta(days=1))

    assert "received_on" in refused.value.fields
    assert _snapshot(invoice) == before


@pytest.mark.django_db
def test_a_paid_invoice_takes_no_more_payments(emitted, django_capture_on_commit_callbacks):
    invoice = _invoice("10.00")
    _pay(invoice, "10.00")
    before = _snapshot(invoice)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        _pay(invoice, "1.00")

    assert refused.value.code == "invoice_not_payable"
    assert _snapshot(invoice) == before
    assert emitted == []


@pytest.mark.django_db
def test_an_overdue_invoice_stays_overdue_until_paid_in_full():
    # given an overdue invoice
    invoice = _invoice("100.00")
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    invoice_mark_overdue(invoice_id=invoice.pk)

    # when part is paid it is still overdue; when the rest is paid it is paid
    _pay(invoice, "30.00")
    invoice.refresh_from_db()
    assert invoice.status == INV.OVERDUE
    _pay(invoice, "70.00")
    invoice.refresh_from_db()
    assert invoice.status == INV.PAID


@pytest.mark.django_db
def test_exposure_sums_only_the_customer_open_balances():
    customer = CustomerFactory()
    a = _invoice("100.00", customer=customer)
    b = _invoice("50.00", customer=customer)
    _invoice("70.00")  # another customer

    _pay(a, "100.00")
    _pay(b, "20.00")

    customer.refresh_from_db()
    assert customer.credit_exposure == Decimal("30.00")
