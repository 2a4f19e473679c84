import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tests.factories import CustomerFactory, UserFactory
from inventory.tests.factories import ProductFactory
from orders.models import Order
from orders.services import order_transition
from orders.tests.api.support import client_for, dealer, dealer_order

URL = "/api/v1/orders/"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_a_dealer_lists_only_its_own_orders_newest_first_with_lines():
    customer, _user, client = dealer()
    old, new = dealer_order(customer), dealer_order(customer)
    dealer_order(CustomerFactory())

    response = client.get(URL)

    assert numbers(response) == [new.number, old.number]
    row = response.json()["results"][0]
    assert len(row["lines"]) == 1
    assert row["url"].endswith(f"/api/v1/orders/{new.number}/")


@pytest.mark.django_db
def test_a_dealer_group_user_lists_the_orders_of_all_its_customers():
    north, south = CustomerFactory(), CustomerFactory()
    user = UserFactory()
    north.users.add(user)
    south.users.add(user)
    mine = {dealer_order(north).number, dealer_order(south).number}
    dealer_order(CustomerFactory())

    assert set(numbers(client_for(user).get(URL))) == mine


@pytest.mark.django_db
def test_orders_of_an_inactive_customer_are_not_listed():
    customer, user, client = dealer()
    dealer_order(customer)
    other = CustomerFactory()
    other.users.add(user)
    dealer_order(other)
    other.is_active = False
    other.save(update_fields=["is_active"])

    assert len(numbers(client.get(URL))) == 1


@pytest.mark.django_db
def test_filters_by_status_number_and_external_reference():
    customer, _user, client = dealer()
    a = dealer_order(customer, external_reference="PO-A")
    b = dealer_order(customer, external_reference="PO-B")
    order_transition(order_id=b.pk, to="approved")
    c = dealer_order(customer)
    order_transition(order_id=c.pk, to="cancelled", reason="test")

    assert numbers(client.get(URL, {"status": "approved"})) == [b.number]
    assert set(numbers(client.get(URL + "?status=approved&status=cancelled"))) == {b.number, c.number}
    assert numbers(client.get(URL, {"number": a.number})) == [a.number]
    assert numbers(client.get(URL, {"external_reference": "PO-B"})) == [b.number]


@pytest.mark.django_db
def test_filters_by_created_and_requested_date_ranges():
    customer, _user, client = dealer()
    today = timezone.localdate()
    early = dealer_order(customer, requested_delivery_date=today + dt.timedelta(days=5))
    late = dealer_order(customer, requested_delivery_date=today + dt.timedelta(days=30))
    Order.objects.filter(pk=early.pk).update(created_at=timezone.now() - dt.timedelta(days=10))

    since_yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert numbers(client.get(URL, {"created_after": since_yesterday})) == [late.number]
    assert numbers(client.get(URL, {"created_before": since_yesterday})) == [early.number]
    assert numbers(client.get(URL, {"requested_before": (today + dt.timedelta(days=10)).isoformat()})) == [
        early.number
    ]
    assert numbers(client.get(URL, {"requested_after": (today + dt.timedelta(days=10)).isoformat()})) == [
        late.number
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"status": "bogus"},
        {"created_after": "yesterday"},
        {"requested_before": "2026-13-01"},
        {"ordering": "priority"},
        {"cursor": "not-a-cursor"},
        {"number": "SO\x00"},
    ],
)
def test_bad_filters_are_400_in_the_error_envelope(query):
    customer, _user, client = dealer()
    dealer_order(customer)

    response = client.get(URL, query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]


@pytest.mark.django_db
def test_ordering_by_total_both_ways():
    customer, _user, client = dealer()
    cheap = dealer_order(customer, products=[ProductFactory(list_price=Decimal("10.00"))])
    dear = dealer_order(customer, products=[ProductFactory(list_price=Decimal("999.00"))])

    assert numbers(client.get(URL, {"ordering": "total"})) == [cheap.number, dear.number]
    assert numbers(client.get(URL, {"ordering": "-total"})) == [dear.number, cheap.number]
    assert numbers(client.get(URL, {"ordering": "created_at"})) == [cheap.number, dear.number]


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["-created_at", "total"])
def test_cursor_pagination_walks_every_order_once(ordering):
    customer, _user, client = dealer()
    created = {dealer_order(customer).number for _ in range(5)}

    seen, url, params = [], URL, {"page_size": 2, "ordering": ordering}
    while url:
        response = client.get(url, params)
        seen += numbers(response)
        url, params = response.json()["next"], None

    assert len(seen) == 5
    assert set(seen) == created


@pytest.mark.django_db
def test_a_forged_cursor_is_a_400_not_a_server_error():
    customer, _user, client = dealer()
    dealer_order(customer)
    forged = base64.b64encode(b"o=0&p=not-a-date").decode()

    response = client.get(URL, {"cursor": forged})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cursor"]


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_orders_or_lines(django_assert_max_num_queries):
    customer, _user, client = dealer()
    client.get(URL)
    dealer_order(customer)

    with CaptureQueriesContext(connection) as few:
        assert len(numbers(client.get(URL))) == 1

    products = [ProductFactory() for _ in range(8)]
    for _ in range(12):
        dealer_order(customer, products=products)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(numbers(client.get(URL))) == 13
