from decimal import Decimal

import pytest

from crm.tests.factories import AddressFactory
from inventory.models import Product
from orders.services import order_update
from orders.tests.factories import make_order
from pricing.models import ShippingRate


@pytest.mark.django_db
def test_changing_only_the_address_keeps_line_prices_and_totals_consistent():
    order = make_order()
    line = order.lines.get()
    Product.objects.filter(pk=line.product_id).update(list_price=Decimal("150.00"))
    ShippingRate.objects.create(region="Sichuan", base_fee=Decimal("20.00"), per_kg=Decimal("1.50"))
    other = AddressFactory(
        customer=order.customer, region="Sichuan", city="Chengdu", is_default_shipping=False
    )

    updated = order_update(order_id=order.pk, shipping_address_id=other.pk, expected_version=order.version)

    line.refresh_from_db()
    assert line.unit_price == Decimal("100.00")
    assert updated.subtotal == line.net_amount
    assert updated.tax_total == line.tax_amount
    assert updated.shipping_fee == Decimal("21.50")
    assert updated.total == updated.subtotal + updated.tax_total + updated.shipping_fee
