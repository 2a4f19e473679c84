import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from finance.models import Invoice, InvoiceEvent
from finance.services import invoice_issue, invoice_mark_overdue, invoice_void, payment_record
from finance.states import InvoiceStatus
from finance.tests.services.test_invoice_transitions import EXPECTED
from orders.states import OrderStatus
from orders.tests.factories import make_order

INV = InvoiceStatus


@pytest.mark.django_db
def test_voiding_an_issued_invoice_moves_its_amount_back_to_the_order_not_invoiced(
    emitted, django_capture_on_commit_callbacks
):
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_void(invoice_id=invoice.pk, reason="duplicate")

    assert (invoice.status, invoice.void_at is not None) == (INV.VOID, True)
    assert invoice.events.order_by("-id").first().note == "duplicate"
    customer = invoice.customer
    customer.refresh_from_db()
    # The shipped order can be invoiced again: until then it counts as an order not invoiced.
    assert (customer.receivables_open, customer.orders_uninvoiced, customer.credit_exposure) == (
        Decimal("0.00"),
        invoice.total,
        invoice.total,
    )
    assert [name for name, _ in emitted] == ["invoice.void"]


@pytest.mark.django_db
def test_void_needs_a_reason():
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)

    with pytest.raises(ValidationFailed):
        invoice_void(invoice_id=invoice.pk, reason="  ")

    invoice.refresh_from_db()
    assert invoice.status == INV.ISSUED


@pytest.mark.django_db
def test_an_invoice_paid_into_cannot_be_voided():
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)
    payment_record(invoice_id=invoice.pk, amount=Decimal("1.00"), received_on=timezone.localdate())
    invoice.customer.refresh_from_db()
    before = (InvoiceEvent.objects.filter(invoice=invoice).count(), invoice.customer.credit_exposure)

    with pytest.raises(Conflict) as refused:
        invoice_void(invoice_id=invoice.pk, reason="oops")

    assert refused.value.code == "invalid_transition"
    invoice.refresh_from_db()
    invoice.customer.refresh_from_db()
    assert invoice.status == INV.PARTIALLY_PAID
    assert (InvoiceEvent.objects.filter(invoice=invoice).count(), invoice.customer.credit_exposure) == before


SERVICES = {
    INV.VOID: lambda pk: invoice_void(invoice_id=pk, reason="test"),
    INV.OVERDUE: lambda pk: invoice_mark_overdue(invoice_id=pk),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t in itertools.product(INV.values, SERVICES) if c != t]
)
def test_transitions_follow_the_table(current, target):
    # given an invoice past due, forced into `current`
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)
    Invoice.objects.filter(pk=invoice.pk).update(status=current, due_date="2000-01-01")
    events_before = InvoiceEvent.objects.filter(invoice=invoice).count()

    if target in EXPECTED[current]:
        assert SERVICES[target](invoice.pk).status == target
        event = InvoiceEvent.objects.filter(invoice=invoice).order_by("-id").first()
        assert (event.from_status, event.to_status) == (current, target)
    else:
        with pytest.raises(Conflict):
            SERVICES[target](invoice.pk)
        invoice.refresh_from_db()
        assert invoice.status == current
        assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before
