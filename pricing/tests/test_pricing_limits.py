from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from crm.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from pricing.services import LineRequest, price_lines


@pytest.mark.django_db
def test_an_amount_beyond_what_can_be_stored_is_a_field_error_not_a_crash():
    product = ProductFactory(list_price=Decimal("9000000.00"))
    with pytest.raises(ValidationFailed) as err:
        price_lines(customer=CustomerFactory(), lines=[LineRequest(sku=product.sku, quantity=100000)])
    assert "lines[0].quantity" in err.value.fields


@pytest.mark.django_db
def test_a_configuration_priced_below_zero_is_refused():
    product = ProductFactory(list_price=Decimal("10.00"))
    option = ProductOptionFactory(product=product, code="trim")
    ProductOptionValueFactory(option=option, code="bare", price_delta=Decimal("-50.00"))
    with pytest.raises(ValidationFailed) as err:
        price_lines(
            customer=CustomerFactory(),
            lines=[LineRequest(sku=product.sku, quantity=1, options={"trim": "bare"})],
        )
    assert "lines[0].options" in err.value.fields
