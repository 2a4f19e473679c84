"""Every dealer endpoint that names an object, asked for another dealer's object, answers exactly like
for an object that does not exist (404, same body) and changes nothing."""

import pytest
from rest_framework.test import APIClient

from crm.tests.factories import CustomerFactory, UserFactory
from finance.tests.factories import make_invoice
from logistics.tests.factories import make_shipment
from orders.models import Order, OrderEvent
from orders.tests.api.support import client_for, dealer, dealer_order
from restapi.models import IdempotencyKey

# (method, url template, body): {order}, {invoice}, {shipment} are the other dealer's numbers.
OBJECT_ENDPOINTS = [
    ("get", "/api/v1/orders/{order}/", None),
    ("patch", "/api/v1/orders/{order}/", {"notes": "mine now"}),
    ("post", "/api/v1/orders/{order}/cancel/", {"reason": "mine now"}),
    ("get", "/api/v1/orders/{order}/timeline/", None),
    ("get", "/api/v1/invoices/{invoice}/", None),
    ("get", "/api/v1/shipments/{shipment}/", None),
]
LIST_FILTERS = [
    "/api/v1/orders/?number={order}",
    "/api/v1/orders/?external_reference=PO-THEIRS",
    "/api/v1/invoices/?order={order}",
    "/api/v1/shipments/?order={order}",
]


@pytest.fixture
def theirs():
    customer = CustomerFactory()
    order = dealer_order(customer, external_reference="PO-THEIRS")
    return {
        "order": order.number,
        "invoice": make_invoice(order).number,
        "shipment": make_shipment(order).number,
    }


def call(client, method, url, body, **headers):
    return (
        getattr(client, method)(url, body, format="json", **headers)
        if body is not None
        else getattr(client, method)(url, **headers)
    )


def snapshot():
    return (
        list(Order.objects.order_by("pk").values_list("status", "version", "notes")),
        OrderEvent.objects.count(),
        IdempotencyKey.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "template", "body"), OBJECT_ENDPOINTS, ids=[f"{m} {t}" for m, t, _b in OBJECT_ENDPOINTS]
)
def test_another_dealers_object_is_404_like_a_missing_one_and_nothing_changes(theirs, method, template, body):
    customer, _user, client = dealer()
    dealer_order(customer)
    before = snapshot()

    response = call(client, method, template.format(**theirs), body, HTTP_IDEMPOTENCY_KEY="k1")
    missing = call(
        client,
        method,
        template.format(order="SO-1999-000001", invoice="INV-1999-000001", shipment="SH-1999-000001"),
        body,
        HTTP_IDEMPOTENCY_KEY="k2",
    )

    assert response.status_code == 404
    assert (
        response.json()
        == missing.json()
        == {
            "code": "not_found",
            "message": "Not found.",
            "fields": {},
            "extra": {},
        }
    )
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("template", LIST_FILTERS)
def test_list_filters_never_reach_another_dealers_rows(theirs, template):
    _customer, _user, client = dealer()

    response = client.get(template.format(**theirs))

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_a_dealer_group_user_does_not_reach_customers_outside_its_group(theirs):
    north = CustomerFactory()
    user = UserFactory()
    north.users.add(user)
    CustomerFactory().users.add(user)
    client = client_for(user)

    for method, template, body in OBJECT_ENDPOINTS:
        assert call(client, method, template.format(**theirs), body).status_code == 404


ALL_ENDPOINTS = [(m, t) for m, t, _b in OBJECT_ENDPOINTS] + [
    ("get", "/api/v1/products/"),
    ("post", "/api/v1/quotes/"),
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("get", "/api/v1/invoices/"),
    ("get", "/api/v1/shipments/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), ALL_ENDPOINTS, ids=[f"{m} {t}" for m, t in ALL_ENDPOINTS])
def test_staff_without_customers_get_403_and_anonymous_callers_401_everywhere(theirs, method, template):
    url = template.format(**theirs)
    staff = client_for(UserFactory(is_staff=True, is_superuser=True))
    before = snapshot()

    as_staff = call(staff, method, url, {} if method != "get" else None)
    anonymous = call(APIClient(), method, url, {} if method != "get" else None)

    assert as_staff.status_code == 403
    assert as_staff.json()["code"] == "permission_denied"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"] == "Token"
    assert snapshot() == before
