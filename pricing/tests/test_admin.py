import pytest

from pricing.tests.factories import CustomerPriceFactory, ShippingRateFactory, TierDiscountFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "model"),
    [
        (TierDiscountFactory, "tierdiscount"),
        (CustomerPriceFactory, "customerprice"),
        (ShippingRateFactory, "shippingrate"),
    ],
)
def test_price_lists_and_rates_are_under_pricing_in_the_admin(admin_client, factory, model):
    obj = factory()

    assert admin_client.get(f"/admin/pricing/{model}/").status_code == 200
    assert admin_client.get(f"/admin/pricing/{model}/{obj.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/finance/{model}/").status_code == 404
