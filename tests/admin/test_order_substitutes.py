"""The order page lists substitutes for backordered lines (issue #8), in its own read-only block."""

import pytest
from django.urls import reverse

from inventory.models import Category
from inventory.tests.factories import ProductFactory, StockLevelFactory
from orders.models import AllocationStatus
from orders.services import order_allocate, order_approve
from orders.tests.factories import make_order


@pytest.mark.django_db
def test_a_backordered_line_shows_in_stock_substitutes(manager_client):
    category = Category.objects.create(code="vans", name="Vans")
    wanted = ProductFactory(sku="VAN-1", series="V", category=category)
    StockLevelFactory(product=wanted, on_hand=1)
    StockLevelFactory(product=ProductFactory(sku="VAN-2", series="V", category=category), on_hand=12)
    order = make_order(products=[wanted], quantities=[5])
    order_approve(order_id=order.pk)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert order.allocation_status in (AllocationStatus.PARTIAL, AllocationStatus.BACKORDERED)

    page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    assert "Substitutes for backordered lines" in content
    assert "VAN-2" in content
    assert "12 available" in content


@pytest.mark.django_db
def test_an_order_without_a_backorder_shows_no_substitutes(manager_client):
    product = ProductFactory(sku="VAN-3")
    StockLevelFactory(product=product, on_hand=5)
    StockLevelFactory(product=ProductFactory(sku="VAN-4"), on_hand=5)
    order = make_order(products=[product], quantities=[2])
    order_approve(order_id=order.pk)
    order_allocate(order_id=order.pk)

    page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert page.status_code == 200
    assert "VAN-4" not in page.content.decode()
