import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from inventory.tests.factories import ProductFactory, StockLevelFactory
from orders.models import Order, OrderEvent
from orders.tests.api.support import client_for, dealer
from pricing.models import ShippingRate, TierDiscount

URL = "/api/v1/quotes/"


@pytest.mark.django_db
def test_a_quote_prices_the_lines_and_writes_nothing():
    _customer, _user, client = dealer(tier="silver")
    TierDiscount.objects.create(tier="silver", percent=Decimal("5.00"))
    ShippingRate.objects.create(
        region="Guangdong", base_fee=Decimal("20.00"), per_kg=Decimal("1.00"), transit_days=2
    )
    product = ProductFactory(list_price=Decimal("100.00"), weight_kg=Decimal("2.000"))
    StockLevelFactory(product=product, on_hand=10)

    response = client.post(URL, {"lines": [{"sku": product.sku, "quantity": 4}]}, format="json")

    assert response.status_code == 200, response.content
    quote = response.json()
    line = quote["lines"][0]
    assert (line["unit_price"], line["discount_percent"], line["discount_amount"], line["net_amount"]) == (
        "100.00",
        "5.00",
        "20.00",
        "380.00",
    )
    assert line["tax_amount"] == "49.40"
    assert line["line_total"] == "429.40"
    assert (quote["subtotal"], quote["discount_total"], quote["tax_total"], quote["shipping_fee"]) == (
        "380.00",
        "20.00",
        "49.40",
        "28.00",
    )
    assert quote["total"] == "457.40"
    promised = (timezone.localdate() + dt.timedelta(days=1 + 2)).isoformat()
    assert quote["promised_delivery_date"] == promised
    assert line["estimated_delivery_date"] == promised
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


@pytest.mark.django_db
def test_a_quote_uses_the_region_of_the_given_address():
    _customer, _user, client = dealer()
    ShippingRate.objects.create(region="Xinjiang", base_fee=Decimal("300.00"))
    product = ProductFactory()

    response = client.post(
        URL,
        {
            "lines": [{"sku": product.sku, "quantity": 1}],
            "shipping_address": {"recipient": "A", "region": "Xinjiang", "city": "Urumqi", "line1": "1 Road"},
        },
        format="json",
    )

    assert response.json()["shipping_fee"] == "300.00"


@pytest.mark.django_db
def test_a_quote_accepts_the_order_body_unchanged():
    customer, _user, client = dealer()
    saved = AddressFactory(customer=customer)
    body = {
        "customer": customer.code,
        "lines": [{"sku": ProductFactory().sku, "quantity": 1}],
        "requested_delivery_date": "2099-01-01",
        "shipping_address_id": saved.pk,
        "external_reference": "PO-1",
        "notes": "n",
    }

    assert client.post(URL, body, format="json").status_code == 200
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
        ({"lines": [{"sku": "SKU-Q", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "SKU-Q", "quantity": 1, "price": "1"}]}, "lines[0].price"),
        (
            {"lines": [{"sku": "SKU-Q", "quantity": 1}], "requested_delivery_date": "2001-01-01"},
            "requested_delivery_date",
        ),
        ({"lines": [{"sku": "SKU-Q", "quantity": 1}], "shipping_address_id": 999999}, "shipping_address_id"),
    ],
)
def test_a_quote_is_validated_like_an_order(body, field):
    _customer, _user, client = dealer()
    ProductFactory(sku="SKU-Q")

    quote = client.post(URL, body, format="json")
    order = client.post("/api/v1/orders/", body, format="json")

    assert quote.status_code == order.status_code == 400
    assert field in quote.json()["fields"]
    assert quote.json()["fields"] == order.json()["fields"]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_customer_without_a_saved_address_must_give_one():
    customer = CustomerFactory()
    client = client_for(dealer_user(customer))

    response = client.post(URL, {"lines": [{"sku": ProductFactory().sku, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["shipping_address"]
