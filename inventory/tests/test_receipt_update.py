"""Moving an expected receipt to another date, or changing its quantity (a production run rescheduled)."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from inventory.receipts import expected_receipt_receive, expected_receipt_update
from inventory.selectors import atp_timeline
from inventory.tests.factories import make_expected_receipt


@pytest.mark.django_db
def test_a_new_date_and_quantity_are_what_available_to_promise_counts():
    receipt = make_expected_receipt(quantity=5, days=3)
    later = timezone.localdate() + dt.timedelta(days=10)

    expected_receipt_update(receipt_id=receipt.pk, expected_on=later, quantity=2)

    receipt.refresh_from_db()
    assert (receipt.expected_on, receipt.quantity) == (later, 2)
    steps = atp_timeline(product_ids=[receipt.product_id])[receipt.product_id]
    assert [(s.ready_on, s.quantity) for s in steps] == [(later + dt.timedelta(days=1), 2)]


@pytest.mark.django_db
def test_a_past_date_is_refused_and_nothing_changes():
    receipt = make_expected_receipt(days=3)
    before = receipt.expected_on

    with pytest.raises(ValidationFailed) as refused:
        expected_receipt_update(
            receipt_id=receipt.pk, expected_on=timezone.localdate() - dt.timedelta(days=1)
        )

    assert list(refused.value.fields) == ["expected_on"]
    receipt.refresh_from_db()
    assert receipt.expected_on == before


@pytest.mark.django_db
def test_a_received_receipt_is_not_changed():
    receipt = make_expected_receipt(quantity=5)
    expected_receipt_receive(receipt_id=receipt.pk)

    with pytest.raises(Conflict):
        expected_receipt_update(receipt_id=receipt.pk, quantity=1)

    receipt.refresh_from_db()
    assert receipt.quantity == 5
