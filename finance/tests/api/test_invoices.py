import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import CustomerFactory, UserFactory
from finance.states import InvoiceStatus
from finance.tests.factories import make_invoice
from orders.tests.api.support import client_for, dealer, dealer_order

URL = "/api/v1/invoices/"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_a_dealer_lists_its_own_issued_invoices_only():
    customer, _user, client = dealer()
    issued = make_invoice(dealer_order(customer))
    make_invoice(dealer_order(customer), status=InvoiceStatus.DRAFT)
    make_invoice(dealer_order(CustomerFactory()))

    response = client.get(URL)

    assert numbers(response) == [issued.number]
    row = response.json()["results"][0]
    assert row["order"] == issued.order.number
    assert row["customer"] == customer.code
    assert row["total"] == str(issued.total)
    assert row["balance"] == str(issued.total)
    assert row["status"] == InvoiceStatus.ISSUED
    assert row["order_url"].endswith(f"/api/v1/orders/{issued.order.number}/")


@pytest.mark.django_db
def test_invoices_filter_by_status_and_order():
    customer, _user, client = dealer()
    first = make_invoice(dealer_order(customer))
    paid = make_invoice(dealer_order(customer), status=InvoiceStatus.PAID)

    assert numbers(client.get(URL, {"status": "paid"})) == [paid.number]
    assert numbers(client.get(URL, {"order": first.order.number})) == [first.number]
    assert client.get(URL, {"status": "draft"}).status_code == 400


@pytest.mark.django_db
def test_invoice_detail_is_the_dealers_own_or_404():
    customer, _user, client = dealer()
    mine = make_invoice(dealer_order(customer))
    draft = make_invoice(dealer_order(customer), status=InvoiceStatus.DRAFT)
    theirs = make_invoice(dealer_order(CustomerFactory()))

    assert client.get(f"{URL}{mine.number}/").json()["number"] == mine.number
    for other in (draft, theirs):
        response = client.get(f"{URL}{other.number}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_invoice_list_queries_do_not_grow_with_rows():
    customer, _user, client = dealer()
    make_invoice(dealer_order(customer))
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(numbers(client.get(URL))) == 1
    for _ in range(10):
        make_invoice(dealer_order(customer))
    with CaptureQueriesContext(connection) as many:
        assert len(numbers(client.get(URL))) == 11

    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_staff_without_a_customer_get_403():
    assert client_for(UserFactory(is_staff=True)).get(URL).status_code == 403
