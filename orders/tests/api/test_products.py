import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tests.factories import CustomerFactory, UserFactory
from inventory.models import Category
from inventory.tests.factories import (
    ProductFactory,
    ProductOptionFactory,
    ProductOptionValueFactory,
    StockLevelFactory,
    WarehouseFactory,
)
from orders.tests.api.support import client_for, dealer
from pricing.models import CustomerPrice, TierDiscount

URL = "/api/v1/products/"


def skus(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["sku"] for row in response.json()["results"]]


def with_options(product):
    cab = ProductOptionFactory(product=product, code="cab", name="Cab")
    ProductOptionValueFactory(option=cab, code="std", name="Standard")
    ProductOptionValueFactory(
        option=cab, code="sleeper", name="Sleeper", price_delta="12000.00", is_custom=True
    )
    return product


@pytest.mark.django_db
def test_the_catalog_lists_active_products_with_options_by_sku():
    _customer, _user, client = dealer()
    with_options(ProductFactory(sku="B-TRUCK"))
    ProductFactory(sku="A-LAMP")
    ProductFactory(sku="C-OLD", is_active=False)

    response = client.get(URL)

    assert skus(response) == ["A-LAMP", "B-TRUCK"]
    truck = response.json()["results"][1]
    assert truck["options"] == [
        {
            "code": "cab",
            "name": "Cab",
            "required": True,
            "values": [
                {"code": "std", "name": "Standard", "price_delta": "0.00", "is_custom": False},
                {"code": "sleeper", "name": "Sleeper", "price_delta": "12000.00", "is_custom": True},
            ],
        }
    ]
    assert truck["category"] == {"code": "general", "name": "General"}


@pytest.mark.django_db
def test_prices_are_the_dealers_own_negotiated_or_list_less_tier_discount():
    customer, _user, client = dealer(tier="gold")
    TierDiscount.objects.create(tier="gold", percent=Decimal("10.00"))
    listed = ProductFactory(sku="LISTED", list_price=Decimal("200.00"))
    negotiated = ProductFactory(sku="NEGOTIATED", list_price=Decimal("200.00"))
    CustomerPrice.objects.create(customer=customer, product=negotiated, price=Decimal("150.00"))
    CustomerPrice.objects.create(customer=CustomerFactory(), product=listed, price=Decimal("1.00"))

    rows = {row["sku"]: row for row in client.get(URL).json()["results"]}

    assert (
        rows["LISTED"]["unit_price"],
        rows["LISTED"]["discount_percent"],
        rows["LISTED"]["net_unit_price"],
    ) == ("200.00", "10.00", "180.00")
    assert (
        rows["NEGOTIATED"]["unit_price"],
        rows["NEGOTIATED"]["discount_percent"],
        rows["NEGOTIATED"]["net_unit_price"],
    ) == ("150.00", "0.00", "150.00")
    assert rows["LISTED"]["list_price"] == "200.00"
    assert rows["LISTED"]["currency"] == customer.currency


@pytest.mark.django_db
def test_availability_is_stock_on_hand_less_reserved_in_active_warehouses():
    _customer, _user, client = dealer()
    in_stock = ProductFactory(sku="IN-STOCK", lead_time_days=20)
    StockLevelFactory(product=in_stock, on_hand=10, reserved=3)
    StockLevelFactory(product=in_stock, warehouse=WarehouseFactory(is_active=False), on_hand=50)
    ProductFactory(sku="NO-STOCK", lead_time_days=20)
    today = timezone.localdate()

    rows = {row["sku"]: row for row in client.get(URL).json()["results"]}

    assert rows["IN-STOCK"]["available_quantity"] == 7
    assert rows["IN-STOCK"]["available_date"] == (today + dt.timedelta(days=1)).isoformat()
    assert rows["NO-STOCK"]["available_quantity"] == 0
    assert rows["NO-STOCK"]["available_date"] == (today + dt.timedelta(days=20)).isoformat()


@pytest.mark.django_db
def test_filters_by_category_series_and_search_text():
    _customer, _user, client = dealer()
    lights = Category.objects.create(code="lights", name="Lights")
    ProductFactory(sku="LED-1", name="Ceiling panel", series="P60", category=lights)
    ProductFactory(
        sku="LED-2", name="Spot", series="S10", category=lights, description="Warm white spotlight"
    )
    ProductFactory(sku="TRK-1", name="Tractor", series="H6")

    assert skus(client.get(URL, {"category": "lights"})) == ["LED-1", "LED-2"]
    assert skus(client.get(URL, {"series": "H6"})) == ["TRK-1"]
    assert skus(client.get(URL, {"search": "panel"})) == ["LED-1"]
    assert skus(client.get(URL, {"search": "warm"})) == ["LED-2"]
    assert skus(client.get(URL, {"search": "trk"})) == ["TRK-1"]


@pytest.mark.django_db
def test_a_group_user_chooses_whose_prices_to_see():
    north, south = CustomerFactory(tier="standard"), CustomerFactory(tier="standard")
    user = UserFactory()
    north.users.add(user)
    south.users.add(user)
    product = ProductFactory(list_price=Decimal("100.00"))
    CustomerPrice.objects.create(customer=south, product=product, price=Decimal("80.00"))
    client = client_for(user)

    unnamed = client.get(URL)
    foreign = client.get(URL, {"customer": CustomerFactory().code})
    named = client.get(URL, {"customer": south.code})

    assert unnamed.status_code == 400
    assert list(unnamed.json()["fields"]) == ["customer"]
    assert foreign.status_code == 400
    assert foreign.json()["fields"] == {"customer": ["Not one of your customers."]}
    assert named.json()["results"][0]["unit_price"] == "80.00"


@pytest.mark.django_db
def test_pages_follow_the_cursor():
    _customer, _user, client = dealer()
    for index in range(5):
        ProductFactory(sku=f"P-{index}")

    first = client.get(URL, {"page_size": 3})
    second = client.get(first.json()["next"])

    assert skus(first) == ["P-0", "P-1", "P-2"]
    assert skus(second) == ["P-3", "P-4"]
    assert second.json()["next"] is None


@pytest.mark.django_db
def test_catalog_queries_do_not_grow_with_the_page():
    _customer, _user, client = dealer()
    for index in range(2):
        StockLevelFactory(product=with_options(ProductFactory(sku=f"A-{index}")))
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(skus(client.get(URL))) == 2
    warehouse = WarehouseFactory()
    for index in range(30):
        StockLevelFactory(product=with_options(ProductFactory(sku=f"B-{index:02d}")), warehouse=warehouse)
    with CaptureQueriesContext(connection) as many:
        assert len(skus(client.get(URL))) == 32

    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 10


@pytest.mark.django_db
def test_staff_without_a_customer_get_403():
    response = client_for(UserFactory(is_staff=True)).get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
