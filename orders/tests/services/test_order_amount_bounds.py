"""Order totals stay in range: never negative from valid inputs, never too large to store (#7 item 5)."""

from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import Channel, Order
from orders.services import order_create, order_quote
from pricing.services import MAX_SHIPPING_FEE, LineRequest
from pricing.tests.factories import ShippingRateFactory, TierDiscountFactory


@pytest.mark.django_db
def test_a_quote_with_the_maximum_discount_is_never_negative_and_can_be_ordered():
    """The largest discount a tier can have (100 %), a cheaper option and the cheapest shipping rate."""
    TierDiscountFactory(tier="platinum", percent=Decimal("100"))
    ShippingRateFactory(region="*", base_fee=Decimal("0"), per_kg=Decimal("0"))
    customer = CustomerFactory(tier="platinum")
    AddressFactory(customer=customer)
    product = ProductFactory(list_price=Decimal("99.99"))
    option = ProductOptionFactory(product=product, code="trim")
    ProductOptionValueFactory(option=option, code="bare", price_delta=Decimal("-99.99"))
    lines = [
        LineRequest(sku=product.sku, quantity=3, options={"trim": "bare"}),
        LineRequest(sku=ProductFactory(list_price=Decimal("0.01")).sku, quantity=7),
    ]

    quote = order_quote(customer=customer, lines=lines)
    order = order_create(customer=customer, channel=Channel.ADMIN, lines=lines)

    amounts = [quote.subtotal, quote.discount_total, quote.tax_total, quote.shipping_fee, quote.total]
    assert min(amounts) >= 0
    assert quote.total == Decimal("0.00")
    assert order.total == Decimal("0.00")
    assert all(line.line_total >= 0 and line.discount_percent == 100 for line in order.lines.all())


@pytest.mark.django_db
def test_a_shipping_fee_too_large_to_store_is_a_field_error_and_nothing_is_written():
    """Failed on main: the fee (per kg × a heavy order) overflowed numeric(14, 2), a 500 at order creation."""
    ShippingRateFactory(region="*", base_fee=Decimal("0"), per_kg=Decimal("99999999.99"))
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    heavy = ProductFactory(list_price=Decimal("1.00"), weight_kg=Decimal("9999999.999"))
    lines = [LineRequest(sku=heavy.sku, quantity=100)]

    with pytest.raises(ValidationFailed) as quoted:
        order_quote(customer=customer, lines=lines)
    with pytest.raises(ValidationFailed) as created:
        order_create(customer=customer, channel=Channel.ADMIN, lines=lines)

    assert "lines" in quoted.value.fields
    assert "lines" in created.value.fields
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_largest_lines_and_a_fee_near_its_cap_still_fit_in_the_order_total():
    """Lines near their share of the room and a fee near its cap: the order is stored, not a 500."""
    ShippingRateFactory(region="*", base_fee=Decimal("0"), per_kg=Decimal("1000.00"))
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    pricey = ProductFactory(list_price=Decimal("8700000.00"), weight_kg=Decimal("0"))
    heavy = ProductFactory(list_price=Decimal("0.01"), weight_kg=Decimal("99999.999"))

    order = order_create(
        customer=customer,
        channel=Channel.ADMIN,
        lines=[LineRequest(sku=pricey.sku, quantity=100000), LineRequest(sku=heavy.sku, quantity=100)],
    )

    assert order.shipping_fee == Decimal("9999999900.00")
    assert order.shipping_fee < MAX_SHIPPING_FEE
    assert order.total == order.subtotal + order.tax_total + order.shipping_fee
    assert order.total > Decimal("900000000000")
