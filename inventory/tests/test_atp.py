"""Available-to-promise by date (issue #8): stock now, incoming transfers and receipts, committed demand."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from inventory.models import ExpectedReceipt, StockLevel, StockMovement
from inventory.receipts import expected_receipt_cancel, expected_receipt_create, expected_receipt_receive
from inventory.selectors import (
    AtpStep,
    atp_promise,
    atp_steps,
    atp_timeline,
    stock_incoming,
)
from inventory.services import DocumentRef, stock_reserve
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from inventory.transfers import transfer_request, transfer_ship

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_drift")]

TODAY = dt.date(2031, 3, 10)


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_steps_stock_now_then_arrivals_the_day_after_they_arrive():
    steps = atp_steps(available=5, incoming=[(day(4), 10), (day(7), 3)], today=TODAY)
    assert steps == [AtpStep(day(1), 5), AtpStep(day(5), 15), AtpStep(day(8), 18)]


def test_committed_demand_takes_the_earliest_supply_first():
    steps = atp_steps(available=5, incoming=[(day(4), 10)], committed=5, today=TODAY)
    assert steps == [AtpStep(day(5), 10)]
    assert atp_steps(available=5, incoming=[(day(4), 10)], committed=20, today=TODAY) == []


def test_an_overdue_arrival_counts_as_arriving_today():
    assert atp_steps(available=0, incoming=[(day(-3), 4)], today=TODAY) == [AtpStep(day(1), 4)]


def test_promise_is_tomorrow_from_stock_and_the_lead_time_when_never_covered():
    product = ProductFactory(lead_time_days=20)
    steps = [AtpStep(day(1), 5), AtpStep(day(6), 9)]
    assert atp_promise(product=product, quantity=5, steps=steps, today=TODAY) == (day(1), True, True)
    assert atp_promise(product=product, quantity=6, steps=steps, today=TODAY) == (day(6), True, False)
    assert atp_promise(product=product, quantity=10, steps=steps, today=TODAY) == (day(20), False, False)
    # Units earlier lines of the same request took are not promised twice.
    assert atp_promise(product=product, quantity=2, steps=steps, taken=4, today=TODAY).date == day(6)


def test_promise_never_later_than_the_lead_time_and_built_to_order_always_the_lead_time():
    product = ProductFactory(lead_time_days=3)
    assert atp_promise(product=product, quantity=2, steps=[AtpStep(day(9), 5)], today=TODAY).date == day(3)
    steps = [AtpStep(day(1), 50)]
    assert atp_promise(product=product, quantity=1, steps=steps, custom_build=True, today=TODAY).date == day(
        3
    )
    made = ProductFactory(made_to_order=True, lead_time_days=0)
    assert atp_promise(product=made, quantity=1, steps=steps, today=TODAY).date == day(14)


def test_timeline_reads_stock_transfers_in_transit_and_expected_receipts():
    today = timezone.localdate()
    level = StockLevelFactory(on_hand=5, reserved=2)
    product = level.product
    other = WarehouseFactory()
    StockLevelFactory(product=product, warehouse=other, on_hand=0)
    transfer = transfer_request(
        from_warehouse_id=level.warehouse_id, to_warehouse_id=other.pk, lines=[(product.pk, 2)]
    )
    transfer_ship(transfer_id=transfer.pk)  # 3 − 2 = 1 left available now, 2 on the road
    expected_receipt_create(
        product_id=product.pk, warehouse_id=other.pk, quantity=10, expected_on=today + dt.timedelta(days=6)
    )

    with CaptureQueriesContext(connection) as ctx:
        timeline = atp_timeline(product_ids=[product.pk], committed={product.pk: 1})

    # available now (1) is taken by the committed unit; the transfer arrives in ATP_TRANSFER_DAYS (3).
    assert timeline[product.pk] == [
        AtpStep(today + dt.timedelta(days=4), 2),
        AtpStep(today + dt.timedelta(days=7), 12),
    ]
    assert len(ctx.captured_queries) == 2  # available now; incoming (transfers ∪ receipts)


def test_received_receipts_and_inactive_warehouses_are_not_incoming(settings):
    today = timezone.localdate()
    product = ProductFactory()
    closed = WarehouseFactory(is_active=False)
    open_ = WarehouseFactory()
    ExpectedReceipt.objects.create(product=product, warehouse=closed, quantity=4, expected_on=today)
    receipt = expected_receipt_create(
        product_id=product.pk, warehouse_id=open_.pk, quantity=7, expected_on=today
    )
    assert stock_incoming(product_ids=[product.pk]) == {product.pk: [(today, 7)]}

    expected_receipt_receive(receipt_id=receipt.pk)
    assert stock_incoming(product_ids=[product.pk]) == {}
    assert atp_timeline(product_ids=[product.pk])[product.pk] == [AtpStep(today + dt.timedelta(days=1), 7)]


def test_a_reservation_lowers_what_can_be_promised_at_once():
    level = StockLevelFactory(on_hand=5)
    product = level.product
    assert atp_promise(product=product, quantity=5).from_stock
    stock_reserve(demands=[(product.pk, level.warehouse_id, 1)], document=DocumentRef(type="test.doc", id=1))
    assert not atp_promise(product=product, quantity=5).from_stock


def test_receiving_books_the_units_once_through_the_ledger():
    product, warehouse = ProductFactory(), WarehouseFactory()
    receipt = expected_receipt_create(
        product_id=product.pk,
        warehouse_id=warehouse.pk,
        quantity=6,
        expected_on=timezone.localdate(),
        reference="PO-7",
    )
    expected_receipt_receive(receipt_id=receipt.pk)
    again = expected_receipt_receive(receipt_id=receipt.pk)

    assert again.received
    assert again.received_at is not None
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 6
    assert StockMovement.objects.filter(document_type="inventory.expectedreceipt").count() == 1
    with pytest.raises(Conflict):
        expected_receipt_cancel(receipt_id=receipt.pk)


def test_an_announcement_in_the_past_or_of_nothing_is_refused_and_nothing_is_written():
    product, warehouse = ProductFactory(), WarehouseFactory()
    with pytest.raises(ValidationFailed) as refused:
        expected_receipt_create(
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=0,
            expected_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert set(refused.value.fields) == {"quantity", "expected_on"}
    assert not ExpectedReceipt.objects.exists()


def test_a_cancelled_announcement_no_longer_counts():
    product, warehouse = ProductFactory(), WarehouseFactory()
    receipt = expected_receipt_create(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=6, expected_on=timezone.localdate()
    )
    expected_receipt_cancel(receipt_id=receipt.pk)
    assert stock_incoming(product_ids=[product.pk]) == {}
