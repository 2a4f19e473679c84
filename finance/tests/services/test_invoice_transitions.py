"""Every allowed and every forbidden move of the invoice lifecycle, against a table written out here.

EXPECTED is deliberately not derived from finance.states: a change to the lifecycle must change this
test too.
"""

import itertools

import pytest

from core.errors import InvalidTransition
from core.lifecycle import transition
from finance.models import Invoice, InvoiceEvent
from finance.services import invoice_issue
from finance.states import LIFECYCLE, InvoiceStatus
from orders.states import OrderStatus
from orders.tests.factories import make_order

EXPECTED = {
    "draft": {"issued", "void"},
    "issued": {"partially_paid", "paid", "overdue", "void"},
    "partially_paid": {"paid", "overdue"},
    "overdue": {"partially_paid", "paid"},
    "paid": set(),
    "void": set(),
}


def test_the_expected_table_covers_every_status():
    assert set(EXPECTED) == set(InvoiceStatus.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t in itertools.product(sorted(EXPECTED), repeat=2) if c != t]
)
def test_transition_follows_the_table(current, target):
    # given an invoice forced into `current`
    invoice = invoice_issue(order_id=make_order(status=OrderStatus.SHIPPED).pk)
    Invoice.objects.filter(pk=invoice.pk).update(status=current)
    events_before = InvoiceEvent.objects.filter(invoice=invoice).count()

    if target in EXPECTED[current]:
        # when the engine moves it, then it moved with its timeline entry
        result, changed = transition(LIFECYCLE, invoice.pk, target, reason="test")
        assert (result.status, changed) == (target, True)
        event = InvoiceEvent.objects.filter(invoice=invoice).order_by("-id").first()
        assert (event.kind, event.from_status, event.to_status) == (f"invoice.{target}", current, target)
    else:
        # when the engine is asked, then it refuses and nothing was written
        with pytest.raises(InvalidTransition) as refused:
            transition(LIFECYCLE, invoice.pk, target, reason="test")
        assert refused.value.extra == {"invoice": invoice.number, "status": current, "target": target}
        invoice.refresh_from_db()
        assert invoice.status == current
        assert InvoiceEvent.objects.filter(invoice=invoice).count() == events_before
