"""Portal (issue #8): reps see stock per warehouse in the product picker and on their order lines, and
check availability — dates and substitutes — on the order form before placing it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Category
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.portal.test_order_create import order_post

PICKER = "/portal/orders/products/"


@pytest.mark.django_db
def test_the_picker_shows_available_stock_per_active_warehouse(client, rep, rep_customer):
    north, south = WarehouseFactory(code="N1"), WarehouseFactory(code="S1")
    WarehouseFactory(code="X9", is_active=False)
    truck = ProductFactory(sku="TRUCK-1", name="Truck")
    StockLevelFactory(product=truck, warehouse=north, on_hand=7, reserved=2)
    StockLevelFactory(product=truck, warehouse=south, on_hand=3)
    ProductFactory(sku="VAN-1", name="Van")
    client.force_login(rep)

    response = client.get(PICKER, {"q": "truck"})

    assert response.status_code == 200
    assert [w.code for w in response.context["warehouses"]] == ["N1", "S1"]
    assert response.context["rows"] == [(truck, [("N1", 5), ("S1", 3)], 8)]


@pytest.mark.django_db
def test_the_picker_is_for_reps_only(client, dealer):
    client.force_login(dealer)
    response = client.get(PICKER)
    assert response.status_code == 403
    assert "rows" not in (response.context or {})


@pytest.mark.django_db
def test_the_picker_queries_do_not_grow_with_products(
    client, rep, rep_customer, django_assert_max_num_queries
):
    client.force_login(rep)
    StockLevelFactory()
    with CaptureQueriesContext(connection) as few:
        client.get(PICKER)
    for _ in range(10):
        StockLevelFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(PICKER).context["rows"]) == 11


@pytest.mark.django_db
def test_checking_availability_shows_dates_stock_and_substitutes_and_writes_nothing(
    client, rep, rep_customer
):
    category = Category.objects.create(code="chairs", name="Chairs")
    wanted = ProductFactory(sku="CHAIR-01", series="C", category=category, lead_time_days=20)
    StockLevelFactory(product=wanted, warehouse=WarehouseFactory(code="N1"), on_hand=1)
    twin = ProductFactory(sku="CHAIR-02", series="C", category=category)
    StockLevelFactory(product=twin, warehouse=WarehouseFactory(code="S1"), on_hand=6)
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "4", "options": ""}], action="quote"),
    )

    assert response.status_code == 200
    (row,) = response.context["quote_rows"]
    assert row["short"] is True
    assert row["stock"] == [("N1", 1), ("S1", 0)]
    assert [(s.product.sku, stock) for s, stock in row["substitutes"]] == [
        ("CHAIR-02", [("N1", 0), ("S1", 6)])
    ]
    assert b"CHAIR-02" in response.content
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_rep_sees_stock_per_warehouse_on_the_order_lines_and_the_dealer_does_not(
    client, rep, rep_customer, dealer, dealer_customer
):
    product = ProductFactory()
    StockLevelFactory(product=product, warehouse=WarehouseFactory(code="N1"), on_hand=4)
    mine = make_order(customer=rep_customer, products=[product])
    theirs = make_order(customer=dealer_customer, products=[product])

    client.force_login(rep)
    rep_page = client.get(f"/portal/orders/{mine.number}/")
    client.force_login(dealer)
    dealer_page = client.get(f"/portal/orders/{theirs.number}/")

    assert rep_page.context["show_stock"] is True
    assert rep_page.context["line_rows"][0][1] == [("N1", 4)]
    assert dealer_page.context["show_stock"] is False
    assert b"N1: 4" not in dealer_page.content


@pytest.mark.django_db
def test_checking_availability_warns_when_the_order_takes_the_customer_over_its_credit(
    client, rep, rep_customer
):
    type(rep_customer).objects.filter(pk=rep_customer.pk).update(credit_limit=10, credit_exposure=5)
    ProductFactory(sku="CHAIR-01")
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "4", "options": ""}], action="quote"),
    )

    assert response.context["credit"].over_limit is True
    assert b'id="credit-warnings"' in response.content
    assert b"over its credit limit" in response.content
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_checking_availability_within_the_credit_limit_shows_what_is_left(client, rep, rep_customer):
    ProductFactory(sku="CHAIR-01")
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "1", "options": ""}], action="quote"),
    )

    assert response.context["credit"].messages == []
    assert b'id="credit-ok"' in response.content
