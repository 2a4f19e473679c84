"""The order page's stock allocation card: where each line is reserved, what waits and why; reps also
see what each warehouse has for the order's lines."""

import pytest
from django.utils import translation

from inventory.services import stock_receive
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders.services import order_allocate, order_approve
from orders.tests.factories import factory_warehouse, make_order


def _allocated_order(customer):
    stocked, short = ProductFactory(sku="CHAIR-01"), ProductFactory(sku="DESK-02")
    order = make_order(customer=customer, products=[stocked, short], quantities=[3, 5])
    order_approve(order_id=order.pk)
    stock_receive(product_id=stocked.pk, warehouse_id=factory_warehouse().pk, quantity=8)
    stock_receive(product_id=short.pk, warehouse_id=factory_warehouse().pk, quantity=2)
    elsewhere = WarehouseFactory(code="SZ1")
    stock_receive(product_id=stocked.pk, warehouse_id=elsewhere.pk, quantity=4)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_a_rep_sees_each_lines_warehouse_backorder_reason_and_stock_per_warehouse(client, rep, rep_customer):
    order = _allocated_order(rep_customer)
    client.force_login(rep)

    with translation.override("en"):
        page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "Stock allocation" in page
    assert "Partly reserved, rest backordered" in page
    assert "FAC: 3 reserved, 0 shipped" in page
    assert "FAC: 2 reserved, 0 shipped" in page
    assert "3 backordered" in page  # DESK-02: 5 ordered, 2 in stock
    # Reps see what is left to sell per warehouse (FAC had 8 chairs, 3 now reserved for this order).
    assert "Stock by warehouse" in page
    assert "FAC: 5 · SZ1: 4" in page


@pytest.mark.django_db
def test_a_dealer_sees_the_allocation_but_not_our_stock_figures(client, dealer, dealer_customer):
    order = _allocated_order(dealer_customer)
    client.force_login(dealer)

    with translation.override("en"):
        page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "FAC: 3 reserved, 0 shipped" in page
    assert "Stock by warehouse" not in page


@pytest.mark.django_db
def test_before_approval_the_card_says_when_stock_will_be_reserved(client, rep, rep_customer):
    order = make_order(customer=rep_customer)
    client.force_login(rep)

    with translation.override("en"):
        page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "Stock is reserved once the order is approved." in page
