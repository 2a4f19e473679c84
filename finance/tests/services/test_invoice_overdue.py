import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict
from finance import tasks
from finance.models import Invoice, InvoiceEvent
from finance.services import invoice_issue, invoice_mark_overdue, invoice_mark_overdue_due, payment_record
from finance.states import InvoiceStatus
from orders.states import OrderStatus
from orders.tests.factories import make_order

INV = InvoiceStatus


def _invoice(*, days_past_due: int) -> Invoice:
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)
    Invoice.objects.filter(pk=invoice.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=days_past_due)
    )
    invoice.refresh_from_db()
    return invoice


@pytest.mark.django_db
def test_a_past_due_invoice_becomes_overdue_and_is_announced(emitted, django_capture_on_commit_callbacks):
    invoice = _invoice(days_past_due=1)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_mark_overdue(invoice_id=invoice.pk)

    assert (invoice.status, invoice.overdue_at is not None) == (INV.OVERDUE, True)
    event = invoice.events.order_by("-id").first()
    assert (event.kind, event.from_status, event.to_status) == ("invoice.overdue", INV.ISSUED, INV.OVERDUE)
    assert emitted == [
        (
            "invoice.overdue",
            {
                "invoice_id": invoice.pk,
                "number": invoice.number,
                "customer_id": invoice.customer_id,
                "order_id": invoice.order_id,
            },
        )
    ]


@pytest.mark.django_db
def test_marking_an_overdue_invoice_again_is_a_noop():
    invoice = _invoice(days_past_due=1)
    invoice_mark_overdue(invoice_id=invoice.pk)
    events_before = InvoiceEvent.objects.filter(invoice=invoice).count()

    invoice_mark_overdue(invoice_id=invoice.pk)

    assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("days_past_due", [0, -10])
def test_an_invoice_not_past_its_due_date_is_refused(days_past_due):
    invoice = _invoice(days_past_due=days_past_due)
    events_before = InvoiceEvent.objects.filter(invoice=invoice).count()

    with pytest.raises(Conflict) as refused:
        invoice_mark_overdue(invoice_id=invoice.pk)

    assert refused.value.code == "invoice_not_due"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.overdue_at) == (INV.ISSUED, None)
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before


@pytest.mark.django_db
def test_a_paid_invoice_cannot_become_overdue():
    invoice = _invoice(days_past_due=3)
    payment_record(invoice_id=invoice.pk, amount=invoice.total, received_on=timezone.localdate())
    events_before = InvoiceEvent.objects.filter(invoice=invoice).count()

    with pytest.raises(Conflict) as refused:
        invoice_mark_overdue(invoice_id=invoice.pk)

    assert refused.value.code == "invalid_transition"
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before


@pytest.mark.django_db
def test_the_sweep_marks_only_past_due_open_invoices_in_batches():
    # given three past-due invoices (one partly paid), one not yet due and one paid
    due = [_invoice(days_past_due=d) for d in (5, 3, 1)]
    payment_record(invoice_id=due[1].pk, amount=Decimal("1.00"), received_on=timezone.localdate())
    not_due = _invoice(days_past_due=0)
    paid = _invoice(days_past_due=2)
    payment_record(invoice_id=paid.pk, amount=paid.total, received_on=timezone.localdate())

    # when the sweep runs with a batch of two, then again
    assert invoice_mark_overdue_due(batch=2).handled == 2
    assert invoice_mark_overdue_due(batch=2).handled == 1
    assert invoice_mark_overdue_due(batch=2).handled == 0

    # then exactly the past-due open ones are overdue
    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in due] == [INV.OVERDUE] * 3
    assert (statuses[not_due.pk], statuses[paid.pk]) == (INV.ISSUED, INV.PAID)


@pytest.mark.django_db
def test_the_sweep_task_re_enqueues_itself_while_a_batch_comes_back_full(monkeypatch):
    for days in (3, 2, 1):
        _invoice(days_past_due=days)
    enqueued = []
    monkeypatch.setattr(tasks.invoice_mark_overdue_due_task, "delay", lambda **kw: enqueued.append(kw))

    tasks.invoice_mark_overdue_due_task(batch=2)
    assert enqueued == [{"batch": 2}]

    tasks.invoice_mark_overdue_due_task(batch=2)
    assert enqueued == [{"batch": 2}]
    assert set(Invoice.objects.values_list("status", flat=True)) == {INV.OVERDUE}
