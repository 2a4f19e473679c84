"""Available-to-promise and substitutes through the dealer API (issue #8)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from inventory.models import Category
from inventory.services import DocumentRef, stock_reserve
from inventory.tests.factories import (
    ProductFactory,
    ProductOptionFactory,
    ProductOptionValueFactory,
    StockLevelFactory,
)
from orders.tests.api.support import dealer

QUOTES = "/api/v1/quotes/"
ORDERS = "/api/v1/orders/"
PRODUCTS = "/api/v1/products/"


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def body(product, quantity, **options):
    line = {"sku": product.sku, "quantity": quantity}
    if options:
        line["options"] = options
    return {"lines": [line]}


@pytest.mark.django_db
def test_two_dealers_quoting_the_same_five_units_the_second_is_not_promised_tomorrow():
    """Fails before issue #8 ATP: the submitted first order reserved nothing, so both got tomorrow."""
    product = ProductFactory(lead_time_days=20, series="")
    StockLevelFactory(product=product, on_hand=5)
    _c1, _u1, first = dealer()
    _c2, _u2, second = dealer()

    quoted = first.post(QUOTES, body(product, 5), format="json").json()
    placed = first.post(ORDERS, body(product, 5), format="json")
    assert placed.status_code == 201, placed.content
    requoted = second.post(QUOTES, body(product, 5), format="json").json()

    # No shipping rates: transit is 3 days.
    assert quoted["promised_delivery_date"] == days(1 + 3)
    assert quoted["lines"][0]["from_stock"] is True
    assert quoted["lines"][0]["substitutes"] == []
    assert placed.json()["promised_delivery_date"] == days(1 + 3)
    assert requoted["promised_delivery_date"] == days(20 + 3)
    assert requoted["lines"][0]["from_stock"] is False


@pytest.mark.django_db
def test_a_short_line_lists_in_stock_substitutes_with_the_chosen_options():
    category = Category.objects.create(code="trucks", name="Trucks")
    wanted = ProductFactory(sku="T-100", series="T", category=category, list_price="100.00")
    for product in [wanted]:
        cab = ProductOptionFactory(product=product, code="cab")
        ProductOptionValueFactory(option=cab, code="day")
    # Same series, the option with the same value, plenty in stock.
    twin = ProductFactory(sku="T-110", series="T", category=category, list_price="120.00")
    ProductOptionValueFactory(option=ProductOptionFactory(product=twin, code="cab"), code="day")
    StockLevelFactory(product=twin, on_hand=9)
    # Same category, other series, compatible, in stock.
    cousin = ProductFactory(sku="U-100", series="U", category=category, list_price="100.00")
    ProductOptionValueFactory(option=ProductOptionFactory(product=cousin, code="cab"), code="day")
    StockLevelFactory(product=cousin, on_hand=20)
    # Not offered: wrong option value, no stock, inactive, another category.
    other_value = ProductFactory(sku="T-120", series="T", category=category)
    ProductOptionValueFactory(option=ProductOptionFactory(product=other_value, code="cab"), code="sleeper")
    StockLevelFactory(product=other_value, on_hand=9)
    empty = ProductFactory(sku="T-130", series="T", category=category)
    ProductOptionValueFactory(option=ProductOptionFactory(product=empty, code="cab"), code="day")
    gone = ProductFactory(sku="T-140", series="T", category=category, is_active=False)
    ProductOptionValueFactory(option=ProductOptionFactory(product=gone, code="cab"), code="day")
    StockLevelFactory(product=gone, on_hand=9)
    _customer, _user, client = dealer()

    response = client.post(QUOTES, body(wanted, 2, cab="day"), format="json")

    assert response.status_code == 200, response.content
    line = response.json()["lines"][0]
    assert line["from_stock"] is False
    assert line["substitutes"] == [
        {"sku": "T-110", "name": twin.name, "available": 9},
        {"sku": "U-100", "name": cousin.name, "available": 20},
    ]


@pytest.mark.django_db
def test_the_catalog_available_quantity_drops_at_once_when_stock_is_reserved():
    product = ProductFactory(sku="RES-1")
    level = StockLevelFactory(product=product, on_hand=8)
    _customer, _user, client = dealer()
    before = {row["sku"]: row for row in client.get(PRODUCTS).json()["results"]}["RES-1"]

    stock_reserve(demands=[(product.pk, level.warehouse_id, 3)], document=DocumentRef(type="test.doc", id=1))
    after = {row["sku"]: row for row in client.get(PRODUCTS).json()["results"]}["RES-1"]

    assert (before["available_quantity"], after["available_quantity"]) == (8, 5)


@pytest.mark.django_db
def test_the_quote_schema_documents_substitutes():
    schema = Client(HTTP_HOST="localhost").get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    line = schema.json()["components"]["schemas"]["QuoteLine"]["properties"]
    assert "substitutes" in line
    assert "from_stock" in line
