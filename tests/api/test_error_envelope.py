"""Every API error body is `{code, message, fields, extra}` with `{}` for empty parts (issue #7, "Also" 1).

On main before this change `extra` was left out of 400/401/404/409-without-details/422 bodies, and
errors raised outside a DRF view under /api/ (unknown URL, bad Host, server error) were Django's
HTML pages.
"""

import logging

import pytest
from django.test import Client

from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.api import views as order_views
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order
from restapi.services import api_token_create

ENVELOPE = {"code", "message", "fields", "extra"}


@pytest.fixture
def dealer(db):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    _token, key = api_token_create(user=dealer_user(customer))
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", raise_request_exception=False)
    return customer, client


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ENVELOPE, body
    assert body["code"] == code
    assert isinstance(body["fields"], dict)
    assert isinstance(body["extra"], dict)
    assert body["message"]
    return body


@pytest.mark.django_db
def test_a_field_error_carries_an_empty_extra(dealer):
    _customer, client = dealer

    response = client.post("/api/v1/orders/", {"lines": []}, content_type="application/json")

    body = assert_envelope(response, 400, "invalid")
    assert body["fields"]
    assert body["extra"] == {}


@pytest.mark.django_db
def test_malformed_json_carries_empty_fields_and_extra(dealer):
    _customer, client = dealer

    response = client.post("/api/v1/orders/", data='{"lines": [', content_type="application/json")

    body = assert_envelope(response, 400, "parse_error")
    assert body["fields"] == body["extra"] == {}


@pytest.mark.django_db
def test_unauthenticated_and_bad_tokens_carry_the_envelope():
    anonymous = Client().get("/api/v1/orders/")
    bad = Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/orders/")

    assert assert_envelope(anonymous, 401, "not_authenticated")["extra"] == {}
    assert assert_envelope(bad, 401, "authentication_failed")["extra"] == {}


@pytest.mark.django_db
def test_a_staff_user_without_customers_gets_the_envelope():
    _token, key = api_token_create(user=UserFactory(is_staff=True))

    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/orders/")

    assert assert_envelope(response, 403, "permission_denied")["extra"] == {}


@pytest.mark.django_db
def test_not_found_method_not_allowed_and_unsupported_media_type_carry_the_envelope(dealer):
    _customer, client = dealer

    assert_envelope(client.get("/api/v1/orders/SO-0000-000000/"), 404, "not_found")
    assert_envelope(
        client.put("/api/v1/orders/", data="{}", content_type="application/json"), 405, "method_not_allowed"
    )
    assert_envelope(
        client.post("/api/v1/orders/", data="x", content_type="text/plain"), 415, "unsupported_media_type"
    )


@pytest.mark.django_db
def test_a_domain_error_keeps_its_extra(dealer):
    customer, client = dealer
    order = make_order(customer=customer, status=OrderStatus.COMPLETED)

    response = client.post(
        f"/api/v1/orders/{order.number}/cancel/", {"reason": "No."}, content_type="application/json"
    )

    body = assert_envelope(response, 409, "invalid_transition")
    assert body["extra"] == {"order": order.number, "status": "completed", "target": "cancelled"}
    assert body["fields"] == {}


@pytest.mark.django_db
def test_an_idempotency_key_mismatch_carries_an_empty_extra(dealer):
    _customer, client = dealer
    sku = ProductFactory().sku
    client.post(
        "/api/v1/orders/",
        {"lines": [{"sku": sku, "quantity": 1}]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same",
    )

    response = client.post(
        "/api/v1/orders/",
        {"lines": [{"sku": sku, "quantity": 2}]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same",
    )

    assert assert_envelope(response, 422, "idempotency_key_mismatch")["extra"] == {}
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_api_url_is_a_404_in_the_envelope_and_other_urls_keep_the_html_page(dealer):
    _customer, client = dealer

    api = client.get("/api/v1/no-such-thing/")
    page = client.get("/portal/no-such-thing/")

    assert_envelope(api, 404, "not_found")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_bad_host_under_the_api_is_a_400_in_the_envelope():
    response = Client(HTTP_HOST="evil.example", raise_request_exception=False).get("/api/v1/orders/")

    assert_envelope(response, 400, "bad_request")


@pytest.mark.django_db
def test_a_server_error_is_a_500_in_the_envelope_and_is_still_logged(dealer, monkeypatch, caplog):
    _customer, client = dealer

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(order_views.OrderListCreateApi, "get", broken)

    response = client.get("/api/v1/orders/")

    body = assert_envelope(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    assert body["fields"] == body["extra"] == {}
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "django.request"]
    assert crashes
    assert crashes[0].exc_info[0] is RuntimeError
