"""The order admin's stock allocation: "Allocate stock" runs the process; the page shows its decision."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.states import OrderStatus
from orders.tests.factories import factory_warehouse, make_order

S = OrderStatus


def _allocate(client, orders):
    return client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "allocate", "index": 0, "_selected_action": [o.pk for o in orders]},
    )


@pytest.mark.django_db
def test_allocate_stock_reserves_through_inventory_and_the_page_explains_it(manager_client):
    order = make_order(quantities=[4, 3], status=S.APPROVED)
    first, second = order.lines.order_by("position")
    stock_receive(product_id=first.product_id, warehouse_id=factory_warehouse().pk, quantity=10)

    with translation.override("en"):
        response = _allocate(manager_client, [order])
        page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    order.refresh_from_db()
    # The second line has no stock anywhere: reserved what exists, the customer accepts partial
    # shipments (the default), so the order is allocated and the rest backordered.
    assert (order.status, order.allocation_status) == (S.ALLOCATED, "partial")
    assert StockLevel.objects.get(product_id=first.product_id).reserved == 4
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)]
    assert "FAC: 4 reserved, 0 shipped" in page
    assert "Not in stock in any warehouse; 3 backordered." in page
    assert "Partly reserved, rest backordered" in page


@pytest.mark.django_db
def test_allocate_stock_where_nothing_is_in_stock_keeps_the_order_approved_with_its_backorder(manager_client):
    order = make_order(quantities=[2], status=S.APPROVED)

    _allocate(manager_client, [order])

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, "backordered")
    assert order.events.filter(kind="order.backordered").count() == 1


@pytest.mark.django_db
def test_the_admin_never_offers_to_mark_an_order_allocated_by_hand(manager_client):
    order = make_order(status=S.APPROVED)

    page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "Mark allocated" not in page
