"""`accepts_partial_shipments` on an order: the customer's default, a dealer's choice, a strict boolean."""

import pytest

from inventory.tests.factories import ProductFactory
from orders.models import Order
from orders.tests.api.support import dealer

URL = "/api/v1/orders/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("customer_default", "sent", "stored"),
    [(True, None, True), (False, None, False), (True, False, False), (False, True, True)],
)
def test_the_order_takes_the_customers_setting_unless_the_dealer_says_otherwise(
    customer_default, sent, stored
):
    _customer, _user, client = dealer(accepts_partial_shipments=customer_default)
    body = {"lines": [{"sku": ProductFactory().sku, "quantity": 1}]}
    if sent is not None:
        body["accepts_partial_shipments"] = sent

    response = client.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["accepts_partial_shipments"] is stored
    assert Order.objects.get().accepts_partial_shipments is stored


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["yes", 1, "true", None])
def test_anything_but_true_or_false_is_a_field_error_and_writes_nothing(value):
    _customer, _user, client = dealer()

    response = client.post(
        URL,
        {"lines": [{"sku": ProductFactory().sku, "quantity": 1}], "accepts_partial_shipments": value},
        format="json",
    )

    assert response.status_code == 400
    assert "accepts_partial_shipments" in response.json()["fields"]
    assert not Order.objects.exists()
