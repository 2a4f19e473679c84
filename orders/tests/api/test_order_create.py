import io
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import Channel, Order, OrderEvent, OrderLine
from orders.states import OrderStatus
from orders.tests.api.support import client_for, dealer, dealer_order
from pricing.selectors import pricing_reference
from restapi.parsers import LimitedJSONParser, RequestTooLarge
from restapi.services import api_token_create
from restapi.throttling import TokenRateThrottle

URL = "/api/v1/orders/"


def nothing_written():
    return Order.objects.count() == 0 and OrderLine.objects.count() == 0 and OrderEvent.objects.count() == 0


@pytest.fixture
def cab_truck():
    product = ProductFactory(sku="TRK-1", list_price="300000.00")
    cab = ProductOptionFactory(product=product, code="cab", name="Cab")
    ProductOptionValueFactory(option=cab, code="std", name="Standard")
    ProductOptionValueFactory(option=cab, code="sleeper", name="Sleeper", price_delta="12000.00")
    return product


@pytest.mark.django_db
def test_placing_an_order_returns_201_with_number_lines_totals_and_links():
    customer, user, client = dealer()
    product = ProductFactory(list_price="100.00")

    response = client.post(
        URL,
        {
            "lines": [{"sku": product.sku, "quantity": 3}],
            "external_reference": "PO-1",
            "notes": "Gate 3",
            "requested_delivery_date": "2099-01-31",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["number"] == order.number
    assert body["status"] == OrderStatus.SUBMITTED
    assert body["customer"] == customer.code
    assert body["channel"] == Channel.DEALER_API
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in body["lines"]] == [
        (product.sku, 3, "100.00")
    ]
    assert body["subtotal"] == "300.00"
    assert body["tax_total"] == "39.00"
    assert body["total"] == str(order.total)
    assert body["external_reference"] == "PO-1"
    assert body["requested_delivery_date"] == "2099-01-31"
    assert body["timeline_url"] == f"http://testserver/api/v1/orders/{order.number}/timeline/"
    assert response["Location"] == f"http://testserver/api/v1/orders/{order.number}/"
    assert response["ETag"] == '"1"'
    assert body["version"] == 1
    assert order.created_by == user
    assert order.channel == Channel.DEALER_API


@pytest.mark.django_db
def test_an_order_can_use_a_saved_address_or_a_new_one():
    customer, _user, client = dealer()
    saved = AddressFactory(customer=customer, city="Shenzhen", is_default_shipping=False)
    product = ProductFactory()

    by_id = client.post(
        URL, {"lines": [{"sku": product.sku, "quantity": 1}], "shipping_address_id": saved.pk}, format="json"
    )
    new = client.post(
        URL,
        {
            "lines": [{"sku": product.sku, "quantity": 1}],
            "shipping_address": {
                "recipient": "Wang Fang",
                "region": "Zhejiang",
                "city": "Hangzhou",
                "line1": "8 West Lake Rd",
                "latitude": "30.25",
            },
        },
        format="json",
    )

    assert by_id.status_code == 201
    assert by_id.json()["shipping_address"]["city"] == "Shenzhen"
    assert new.status_code == 201
    assert new.json()["shipping_address"]["city"] == "Hangzhou"
    assert new.json()["shipping_address"]["country"] == "CN"
    assert new.json()["shipping_address"]["latitude"] == "30.250000"


@pytest.mark.django_db
def test_another_dealers_saved_address_is_refused_like_an_unknown_one():
    _customer, _user, client = dealer()
    theirs = AddressFactory(customer=CustomerFactory())

    response = client.post(
        URL,
        {"lines": [{"sku": ProductFactory().sku, "quantity": 1}], "shipping_address_id": theirs.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"shipping_address_id": ["No such address for this customer."]}
    assert nothing_written()


@pytest.mark.django_db
def test_a_dealer_group_user_must_name_one_of_their_customers():
    north, south, stranger = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer in (north, south, stranger):
        AddressFactory(customer=customer)
    user = UserFactory()
    north.users.add(user)
    south.users.add(user)
    client = client_for(user)
    lines = [{"sku": ProductFactory().sku, "quantity": 1}]

    unnamed = client.post(URL, {"lines": lines}, format="json")
    foreign = client.post(URL, {"lines": lines, "customer": stranger.code}, format="json")
    unknown = client.post(URL, {"lines": lines, "customer": "NOPE"}, format="json")
    assert unnamed.status_code == 400
    assert list(unnamed.json()["fields"]) == ["customer"]
    assert foreign.status_code == 400
    assert unknown.status_code == 400
    assert (
        foreign.json()["fields"] == unknown.json()["fields"] == {"customer": ["Not one of your customers."]}
    )
    assert nothing_written()

    named = client.post(URL, {"lines": lines, "customer": south.code}, format="json")
    assert named.status_code == 201
    assert named.json()["customer"] == south.code
    assert Order.objects.get().customer == south


@pytest.mark.django_db
def test_a_single_dealer_may_name_its_own_customer_but_no_other():
    customer, _user, client = dealer()
    other = CustomerFactory()
    lines = [{"sku": ProductFactory().sku, "quantity": 1}]

    assert client.post(URL, {"lines": lines, "customer": other.code}, format="json").status_code == 400
    assert nothing_written()
    assert client.post(URL, {"lines": lines, "customer": customer.code}, format="json").status_code == 201


@pytest.mark.django_db
def test_a_repeated_external_reference_is_refused_with_409_naming_the_existing_order():
    customer, _user, client = dealer()
    first = dealer_order(customer, external_reference="PO-9")

    response = client.post(
        URL,
        {"lines": [{"sku": ProductFactory().sku, "quantity": 1}], "external_reference": "PO-9"},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_external_reference"
    assert body["extra"]["order"] == first.number
    assert first.number in body["message"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_external_reference_is_fine_for_another_dealer():
    dealer_order(CustomerFactory(), external_reference="PO-9")
    _customer, _user, client = dealer()

    response = client.post(
        URL,
        {"lines": [{"sku": ProductFactory().sku, "quantity": 1}], "external_reference": "PO-9"},
        format="json",
    )

    assert response.status_code == 201


@pytest.mark.django_db
def test_options_are_priced_and_described(cab_truck):
    _customer, _user, client = dealer()

    response = client.post(
        URL, {"lines": [{"sku": "TRK-1", "quantity": 1, "options": {"cab": "sleeper"}}]}, format="json"
    )

    assert response.status_code == 201
    line = response.json()["lines"][0]
    assert line["unit_price"] == "312000.00"
    assert line["options"] == {"cab": "sleeper"}
    assert "Sleeper" in line["description"]


BAD_BODIES = [
    ("unknown sku", {"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
    (
        "invalid option value",
        {"lines": [{"sku": "TRK-1", "quantity": 1, "options": {"cab": "xl"}}]},
        "lines[0].options.cab",
    ),
    (
        "unknown option",
        {"lines": [{"sku": "TRK-1", "quantity": 1, "options": {"cab": "std", "wheels": "8"}}]},
        "lines[0].options.wheels",
    ),
    ("missing required option", {"lines": [{"sku": "TRK-1", "quantity": 1}]}, "lines[0].options.cab"),
    (
        "options not an object",
        {"lines": [{"sku": "TRK-1", "quantity": 1, "options": ["std"]}]},
        "lines[0].options",
    ),
    (
        "zero quantity",
        {"lines": [{"sku": "TRK-1", "quantity": 0, "options": {"cab": "std"}}]},
        "lines[0].quantity",
    ),
    ("negative quantity", {"lines": [{"sku": "TRK-1", "quantity": -5}]}, "lines[0].quantity"),
    ("huge quantity", {"lines": [{"sku": "TRK-1", "quantity": 10**30}]}, "lines[0].quantity"),
    ("quantity as a string", {"lines": [{"sku": "TRK-1", "quantity": "3"}]}, "lines[0].quantity"),
    ("quantity as a float", {"lines": [{"sku": "TRK-1", "quantity": 2.5}]}, "lines[0].quantity"),
    ("quantity as a boolean", {"lines": [{"sku": "TRK-1", "quantity": True}]}, "lines[0].quantity"),
    ("sku as a number", {"lines": [{"sku": 42, "quantity": 1}]}, "lines[0].sku"),
    (
        "second line bad",
        {
            "lines": [
                {"sku": "TRK-1", "quantity": 1, "options": {"cab": "std"}},
                {"sku": "TRK-1", "quantity": 1, "options": {"cab": "std"}},
                {"sku": "TRK-1", "quantity": 0},
            ]
        },
        "lines[2].quantity",
    ),
    ("no lines", {"lines": []}, "lines"),
    ("lines missing", {}, "lines"),
    ("lines not a list", {"lines": {"sku": "TRK-1"}}, "lines"),
    ("line not an object", {"lines": ["TRK-1"]}, "lines[0]"),
    (
        "malformed date",
        {"lines": [{"sku": "TRK-1", "quantity": 1}], "requested_delivery_date": "31/12/2099"},
        "requested_delivery_date",
    ),
    (
        "past date",
        {
            "lines": [{"sku": "TRK-1", "quantity": 1, "options": {"cab": "std"}}],
            "requested_delivery_date": "2001-01-01",
        },
        "requested_delivery_date",
    ),
    ("unknown top-level field", {"lines": [{"sku": "TRK-1", "quantity": 1}], "colour": "red"}, "colour"),
    ("status is not settable", {"lines": [{"sku": "TRK-1", "quantity": 1}], "status": "approved"}, "status"),
    ("priority is not settable", {"lines": [{"sku": "TRK-1", "quantity": 1}], "priority": 100}, "priority"),
    ("total is not settable", {"lines": [{"sku": "TRK-1", "quantity": 1}], "total": "1.00"}, "total"),
    (
        "price is not settable",
        {"lines": [{"sku": "TRK-1", "quantity": 1, "unit_price": "1.00"}]},
        "lines[0].unit_price",
    ),
    (
        "unknown address field",
        {
            "lines": [{"sku": "TRK-1", "quantity": 1}],
            "shipping_address": {"recipient": "A", "region": "B", "city": "C", "line1": "D", "floor": "3"},
        },
        "shipping_address.floor",
    ),
    (
        "incomplete address",
        {"lines": [{"sku": "TRK-1", "quantity": 1}], "shipping_address": {"recipient": "A"}},
        "shipping_address.city",
    ),
    (
        "address not an object",
        {"lines": [{"sku": "TRK-1", "quantity": 1}], "shipping_address": "Guangzhou"},
        "shipping_address",
    ),
    (
        "address and address id",
        {
            "lines": [{"sku": "TRK-1", "quantity": 1}],
            "shipping_address_id": 1,
            "shipping_address": {"recipient": "A", "region": "B", "city": "C", "line1": "D"},
        },
        "shipping_address_id",
    ),
    (
        "external reference too long",
        {"lines": [{"sku": "TRK-1", "quantity": 1}], "external_reference": "x" * 81},
        "external_reference",
    ),
    ("nul character", {"lines": [{"sku": "TRK\x00", "quantity": 1}]}, "lines[0].sku"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[case for case, _b, _f in BAD_BODIES])
def test_bad_input_is_refused_with_400_and_its_field_path_and_nothing_is_written(
    cab_truck, case, body, field
):
    _customer, _user, client = dealer()

    response = client.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "invalid"
    assert error["message"]
    assert field in error["fields"], error["fields"]
    assert all(isinstance(messages, list) and messages for messages in error["fields"].values())
    assert nothing_written()


@pytest.mark.django_db
def test_an_inactive_product_is_refused(cab_truck):
    _customer, _user, client = dealer()
    old = ProductFactory(is_active=False)

    response = client.post(URL, {"lines": [{"sku": old.sku, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"lines[0].sku": [f"Product {old.sku} is no longer sold."]}
    assert nothing_written()


@pytest.mark.django_db
def test_more_lines_than_order_max_lines_are_refused(settings):
    _customer, _user, client = dealer()
    product = ProductFactory()
    lines = [{"sku": product.sku, "quantity": 1}] * (settings.ORDER_MAX_LINES + 1)

    response = client.post(URL, {"lines": lines}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["lines"]
    assert nothing_written()


@pytest.mark.django_db
def test_malformed_json_is_a_400_parse_error():
    _customer, _user, client = dealer()

    response = client.post(URL, data='{"lines": [', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert nothing_written()


@pytest.mark.django_db
def test_a_json_body_that_is_not_an_object_is_refused():
    _customer, _user, client = dealer()

    response = client.post(URL, data="[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert nothing_written()


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_with_413_in_the_error_envelope(settings):
    settings.API_MAX_BODY_BYTES = 2000
    _customer, _user, client = dealer()
    product = ProductFactory()
    body = json.dumps({"lines": [{"sku": product.sku, "quantity": 1}], "notes": "x" * 3000})

    response = client.post(URL, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request body is too large.",
        "fields": {},
        "extra": {},
    }
    assert nothing_written()


@pytest.mark.django_db
def test_a_body_without_declared_length_is_still_cut_at_the_limit(settings):
    settings.API_MAX_BODY_BYTES = 10

    with pytest.raises(RequestTooLarge):
        LimitedJSONParser().parse(io.BytesIO(b'{"notes": "' + b"x" * 50 + b'"}'), parser_context={})


@pytest.mark.django_db
def test_a_non_json_content_type_is_refused_with_415():
    _customer, _user, client = dealer()

    response = client.post(URL, data="lines=1", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert nothing_written()


@pytest.mark.django_db
def test_staff_without_a_customer_get_403_and_anonymous_callers_401():
    staff = UserFactory(is_staff=True, is_superuser=True)
    body = {"lines": [{"sku": ProductFactory().sku, "quantity": 1}]}

    as_staff = client_for(staff).post(URL, body, format="json")
    anonymous = APIClient().post(URL, body, format="json")
    bad_token = APIClient(HTTP_AUTHORIZATION="Token oms_nope").post(URL, body, format="json")

    assert as_staff.status_code == 403
    assert as_staff.json()["code"] == "permission_denied"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert bad_token.status_code == 401
    assert bad_token.json()["code"] == "authentication_failed"
    assert nothing_written()


@pytest.mark.django_db
def test_a_bearer_token_works_too():
    customer, user, _client = dealer()
    _token, key = api_token_create(user=user)

    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}").get(URL)

    assert response.status_code == 200


@pytest.mark.django_db
def test_throttled_requests_get_429_with_retry_after(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "rate", "2/min", raising=False)
    cache.clear()
    _customer, _user, client = dealer()

    statuses = [client.get(URL).status_code for _ in range(3)]
    response = client.get(URL)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "throttled"
    assert response.json()["extra"]["retry_after"] >= 1
    cache.clear()


@pytest.mark.django_db
def test_the_throttle_counts_per_user_across_tokens(monkeypatch):
    # Per user, not per token: minting a second token must not buy a second allowance.
    monkeypatch.setattr(TokenRateThrottle, "rate", "1/min", raising=False)
    cache.clear()
    _customer, user, first = dealer()
    second = client_for(user)
    _other_customer, _other_user, other = dealer()

    assert first.get(URL).status_code == 200
    response = second.get(URL)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert other.get(URL).status_code == 200
    cache.clear()


def _queries_without_savepoints(captured) -> int:
    # Savepoints only exist because the test runs inside a transaction; they are not round trips of work.
    return sum(
        1 for query in captured if not query["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    )


# PostgreSQL only: SQLite splits a 100-line bulk insert into batches of 999 parameters.
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("idempotency_key", [None, "key"])
def test_placing_an_order_costs_the_same_queries_for_1_and_100_lines(idempotency_key):
    _customer, _user, client = dealer()
    products = [ProductFactory() for _ in range(100)]
    client.get(URL)  # the token's last-use stamp is written at most once a minute; take it out of the count
    pricing_reference()  # and the first order of a process reads the cached pricing tables; so does this

    def place(count: int, reference: str):
        body = {
            "lines": [{"sku": p.sku, "quantity": 2} for p in products[:count]],
            "external_reference": reference,
        }
        headers = {"HTTP_IDEMPOTENCY_KEY": f"{idempotency_key}-{count}"} if idempotency_key else {}
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(URL, body, format="json", **headers)
        assert response.status_code == 201
        assert len(response.json()["lines"]) == count
        return len(ctx.captured_queries), _queries_without_savepoints(ctx.captured_queries)

    one, hundred = place(1, "A"), place(100, "B")

    assert one == hundred
    assert hundred[1] <= 20


@pytest.mark.django_db
def test_one_requests_input_errors_never_reach_the_next_one():
    # The create serializer's field tree is reused per thread (orders.api.serializers.order_create_input).
    _customer, _user, client = dealer()
    product = ProductFactory()

    bad = client.post(URL, {"lines": [{"sku": product.sku, "quantity": "2"}]}, format="json")
    good = client.post(URL, {"lines": [{"sku": product.sku, "quantity": 2}]}, format="json")
    other_bad = client.post(
        URL, {"lines": [{"sku": product.sku, "quantity": 2}], "status": "x"}, format="json"
    )

    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"lines[0].quantity"}
    assert good.status_code == 201
    assert other_bad.status_code == 400
    assert set(other_bad.json()["fields"]) == {"status"}
    assert Order.objects.count() == 1
