import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import CustomerFactory, UserFactory
from inventory.tests.factories import ProductFactory
from logistics.tests.factories import make_shipment
from orders.tests.api.support import client_for, dealer, dealer_order

URL = "/api/v1/shipments/"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_a_dealer_lists_its_own_shipments_with_lines_and_tracking_newest_first():
    customer, _user, client = dealer()
    shipment = make_shipment(dealer_order(customer, quantities=[3]), tracking_events=3)
    make_shipment(dealer_order(CustomerFactory()))

    response = client.get(URL)

    assert numbers(response) == [shipment.number]
    row = response.json()["results"][0]
    assert row["order"] == shipment.order.number
    assert row["status"] == "in_transit"
    assert row["carrier"] == {"code": "SF", "name": "SF Express"}
    assert row["tracking_url"] == f"https://sf.example/t/{shipment.tracking_number}"
    assert [line["quantity"] for line in row["lines"]] == [3]
    assert row["lines"][0]["position"] == 1
    assert [event["location"] for event in row["tracking_events"]] == ["Hub 0", "Hub 1", "Hub 2"]


@pytest.mark.django_db
def test_shipments_filter_by_order_number():
    customer, _user, client = dealer()
    first = make_shipment(dealer_order(customer))
    make_shipment(dealer_order(customer))

    assert numbers(client.get(URL, {"order": first.order.number})) == [first.number]
    assert numbers(client.get(URL, {"status": "delivered"})) == []


@pytest.mark.django_db
def test_the_orders_shipments_url_lists_its_shipments():
    customer, _user, client = dealer()
    order = dealer_order(customer)
    shipment = make_shipment(order)

    shipments_url = client.get(f"/api/v1/orders/{order.number}/").json()["fulfilment"]["shipments_url"]

    assert numbers(client.get(shipments_url)) == [shipment.number]


@pytest.mark.django_db
def test_shipment_detail_is_the_dealers_own_or_404():
    customer, _user, client = dealer()
    mine = make_shipment(dealer_order(customer))
    theirs = make_shipment(dealer_order(CustomerFactory()))

    assert client.get(f"{URL}{mine.number}/").json()["number"] == mine.number
    response = client.get(f"{URL}{theirs.number}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_shipment_list_queries_do_not_grow_with_rows_lines_or_tracking_events():
    customer, _user, client = dealer()
    make_shipment(dealer_order(customer))
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(numbers(client.get(URL))) == 1
    products = [ProductFactory() for _ in range(4)]
    for _ in range(8):
        make_shipment(dealer_order(customer, products=products), tracking_events=5)
    with CaptureQueriesContext(connection) as many:
        assert len(numbers(client.get(URL))) == 9

    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_staff_without_a_customer_get_403():
    assert client_for(UserFactory(is_staff=True)).get(URL).status_code == 403
