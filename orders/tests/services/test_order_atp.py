"""Available-to-promise at intake (issue #8): the second order for the same units is not promised them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.receipts import expected_receipt_create
from inventory.selectors import stock_drift
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from inventory.transfers import transfer_request, transfer_ship
from orders.models import Channel, OrderLine
from orders.selectors import order_stock_committed
from orders.services import (
    order_allocate,
    order_approve,
    order_cancel,
    order_create,
    order_quote,
    order_update,
)
from orders.tests.factories import make_order
from pricing.services import LineRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_drift")]


@pytest.fixture
def no_drift():
    yield
    assert stock_drift() == []


def customer():
    c = CustomerFactory()
    AddressFactory(customer=c)
    return c


def place(product, quantity, **kwargs):
    return order_create(
        customer=customer(),
        channel=Channel.ADMIN,
        lines=[LineRequest(sku=product.sku, quantity=quantity)],
        **kwargs,
    )


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def test_two_orders_for_the_same_five_units_the_second_waits_for_the_lead_time():
    """Fails before issue #8 ATP: both orders were promised tomorrow (no reservation before approval)."""
    product = ProductFactory(lead_time_days=20)
    StockLevelFactory(product=product, on_hand=5)

    first = place(product, 5)
    second = place(product, 5)

    transit = first.promised_delivery_date - days(1)  # the shipping estimate's transit days
    assert first.promised_delivery_date == days(1) + transit
    assert second.promised_delivery_date == days(20) + transit


def test_the_second_order_gets_the_next_incoming_date():
    product = ProductFactory(lead_time_days=30)
    level = StockLevelFactory(product=product, on_hand=5)
    expected_receipt_create(
        product_id=product.pk, warehouse_id=level.warehouse_id, quantity=5, expected_on=days(6)
    )

    first = place(product, 5)
    second = place(product, 5)
    third = place(product, 1)

    transit = first.promised_delivery_date - days(1)
    assert second.promised_delivery_date == days(7) + transit  # arrives day 6, leaves the day after
    assert third.promised_delivery_date == days(30) + transit


def test_a_transfer_in_transit_counts_as_arriving_after_the_transfer_days(settings):
    settings.ATP_TRANSFER_DAYS = 2
    product = ProductFactory(lead_time_days=30)
    source = StockLevelFactory(product=product, on_hand=4)
    transfer = transfer_request(
        from_warehouse_id=source.warehouse_id, to_warehouse_id=WarehouseFactory().pk, lines=[(product.pk, 4)]
    )
    transfer_ship(transfer_id=transfer.pk)

    stocked = StockLevelFactory(on_hand=1).product

    quote = order_quote(
        customer=customer(),
        lines=[LineRequest(sku=stocked.sku, quantity=1), LineRequest(sku=product.sku, quantity=3)],
    )

    assert quote.line_short == [False, True]
    # Shipped today, arriving in 2 days, leaving the day after: 2 days after stock on hand would.
    assert quote.line_dates[1] - quote.line_dates[0] == dt.timedelta(days=2)


def test_reserved_stock_is_not_counted_twice_once_the_first_order_is_allocated():
    product = ProductFactory(lead_time_days=20)
    StockLevelFactory(product=product, on_hand=5)
    first = place(product, 5)
    order_approve(order_id=first.pk)
    order_allocate(order_id=first.pk)
    assert order_stock_committed(product_ids=[product.pk]) == {}

    second = place(product, 5)

    transit = first.promised_delivery_date - days(1)
    assert second.promised_delivery_date == days(20) + transit


def test_a_cancelled_order_gives_its_units_back():
    product = ProductFactory(lead_time_days=20)
    StockLevelFactory(product=product, on_hand=5)
    first = place(product, 5)
    order_cancel(order_id=first.pk, reason="changed mind")

    second = place(product, 5)

    assert second.promised_delivery_date == first.promised_delivery_date


def test_committed_demand_counts_open_unreserved_stock_lines_only():
    product = ProductFactory()
    make_order(products=[product], quantities=[3])
    make_order(products=[product], quantities=[2], submit=False)  # a draft promises nothing
    make_order(products=[product], quantities=[4], status="rejected")
    held = make_order(products=[product], quantities=[1], status="on_hold", held_from="submitted")

    assert order_stock_committed(product_ids=[product.pk]) == {product.pk: 4}
    assert order_stock_committed(product_ids=[product.pk], exclude_order_id=held.pk) == {product.pk: 3}
    assert order_stock_committed(product_ids=[product.pk], submitted_before=held.submitted_at) == {
        product.pk: 3
    }


def test_editing_an_order_does_not_count_its_own_lines_nor_later_orders_against_it():
    product = ProductFactory(lead_time_days=20)
    StockLevelFactory(product=product, on_hand=5)
    first = place(product, 4)
    later = place(product, 1)

    edited = order_update(order_id=first.pk, lines=[LineRequest(sku=product.sku, quantity=5)])

    transit = first.promised_delivery_date - days(1)
    assert edited.promised_delivery_date == days(1) + transit
    assert later.promised_delivery_date == days(1) + transit


def test_lines_of_one_order_share_the_stock_in_order():
    product = ProductFactory(lead_time_days=20)
    StockLevelFactory(product=product, on_hand=5)
    quote = order_quote(
        customer=customer(),
        lines=[
            LineRequest(sku=product.sku, quantity=3),
            LineRequest(sku=product.sku, quantity=3),
            LineRequest(sku=product.sku, quantity=2),
        ],
    )
    assert quote.line_short == [False, True, False]


def test_the_committed_query_is_skipped_when_nothing_is_available_or_on_its_way():
    cust = customer()
    empty = ProductFactory()
    stocked = ProductFactory()
    StockLevelFactory(product=stocked, on_hand=5)
    order_quote(customer=cust, lines=[LineRequest(sku=empty.sku, quantity=1)])  # warm pricing caches

    with CaptureQueriesContext(connection) as without_stock:
        order_quote(customer=cust, lines=[LineRequest(sku=empty.sku, quantity=1)])
    with CaptureQueriesContext(connection) as with_stock:
        order_quote(customer=cust, lines=[LineRequest(sku=stocked.sku, quantity=1)])

    assert len(with_stock.captured_queries) == len(without_stock.captured_queries) + 1
    assert OrderLine.objects.count() == 0
