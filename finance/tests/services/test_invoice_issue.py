import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict
from core.models import Sequence
from crm.tests.factories import CustomerFactory
from finance.models import Invoice, InvoiceEvent
from finance.services import invoice_issue, invoice_void
from finance.states import InvoiceStatus
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order

INV = InvoiceStatus
S = OrderStatus


def _snapshot(order) -> tuple:
    order.customer.refresh_from_db()
    return (
        Invoice.objects.filter(order=order).count(),
        InvoiceEvent.objects.count(),
        order.customer.credit_exposure,
        sorted(Sequence.objects.values_list("name", "value")),
    )


@pytest.mark.django_db
def test_issue_copies_the_order_amounts_and_sets_the_due_date():
    # given a shipped order of a customer on 45-day terms
    order = make_order(customer=CustomerFactory(payment_terms_days=45), status=S.SHIPPED)

    # when the invoice is issued
    invoice = invoice_issue(order_id=order.pk)

    # then the amounts are the order's and it is due after the terms
    assert invoice.status == INV.ISSUED
    assert re.fullmatch(r"INV-\d{4}-\d{6}", invoice.number)
    assert (invoice.customer_id, invoice.currency) == (order.customer_id, order.currency)
    assert (
        invoice.subtotal,
        invoice.discount_total,
        invoice.tax_total,
        invoice.shipping_fee,
        invoice.total,
    ) == (order.subtotal, order.discount_total, order.tax_total, order.shipping_fee, order.total)
    assert invoice.total > 0
    assert invoice.amount_paid == Decimal("0.00")
    assert invoice.due_date == timezone.localdate() + dt.timedelta(days=45)
    assert invoice.issued_at is not None
    assert list(invoice.events.order_by("id").values_list("kind", "from_status", "to_status")) == [
        ("invoice.created", "", INV.DRAFT),
        ("invoice.issued", INV.DRAFT, INV.ISSUED),
    ]


@pytest.mark.django_db
def test_issue_announces_invoice_issued(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.SHIPPED)

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_issue(order_id=order.pk)

    assert emitted == [
        (
            "invoice.issued",
            {
                "invoice_id": invoice.pk,
                "number": invoice.number,
                "customer_id": order.customer_id,
                "order_id": order.pk,
            },
        )
    ]


@pytest.mark.django_db
def test_issue_adds_the_balance_to_the_customer_exposure():
    customer = CustomerFactory()
    first = invoice_issue(order_id=make_order(customer=customer, status=S.SHIPPED).pk)
    second = invoice_issue(order_id=make_order(customer=customer, quantities=[3], status=S.SHIPPED).pk)

    customer.refresh_from_db()
    assert customer.credit_exposure == first.total + second.total


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED])
def test_orders_that_have_shipped_can_be_invoiced(status):
    assert invoice_issue(order_id=make_order(status=status).pk).status == INV.ISSUED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.READY_TO_SHIP, S.CANCELLED])
def test_orders_that_have_not_shipped_are_refused(status):
    order = make_order(status=status)
    before = _snapshot(order)

    with pytest.raises(Conflict) as refused:
        invoice_issue(order_id=order.pk)

    assert refused.value.code == "order_not_invoiceable"
    assert _snapshot(order) == before


@pytest.mark.django_db
def test_a_second_invoice_for_the_same_order_is_refused(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.SHIPPED)
    first = invoice_issue(order_id=order.pk)
    before = _snapshot(order)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        invoice_issue(order_id=order.pk)

    assert refused.value.code == "order_already_invoiced"
    assert refused.value.extra["invoice"] == first.number
    assert _snapshot(order) == before
    assert emitted == []


@pytest.mark.django_db
def test_after_a_void_the_order_can_be_invoiced_again():
    order = make_order(status=S.SHIPPED)
    first = invoice_issue(order_id=order.pk)
    invoice_void(invoice_id=first.pk, reason="wrong address")

    second = invoice_issue(order_id=order.pk)

    assert second.pk != first.pk
    assert second.number != first.number
    order.customer.refresh_from_db()
    assert order.customer.credit_exposure == second.total


@pytest.mark.django_db
def test_an_order_with_nothing_to_pay_is_invoiced_paid():
    order = make_order(status=S.SHIPPED)
    Order.objects.filter(pk=order.pk).update(subtotal=0, tax_total=0, shipping_fee=0, total=0)

    invoice = invoice_issue(order_id=order.pk)

    assert (invoice.status, invoice.paid_at is not None) == (INV.PAID, True)
