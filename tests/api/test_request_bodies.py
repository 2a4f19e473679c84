"""Hostile request bodies get a 4xx in the error envelope and change nothing (issue #7, items 1 and 2).

On main before this change: deeply nested JSON was a 500 (RecursionError), a body over
API_MAX_BODY_BYTES got Django's HTML 400, a chunked body was parsed as empty ("lines: required"),
and too many form fields were Django's HTML 400. The raw-socket versions, through gunicorn, are in
test_request_bodies_wsgi.py (same folder).
"""

import json
import logging

import pytest
from django.test import Client

from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.models import Order, OrderEvent
from restapi.models import IdempotencyKey
from restapi.services import api_token_create

URL = "/api/v1/orders/"
ENVELOPE = {"code", "message", "fields", "extra"}


@pytest.fixture
def api(db):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    _token, key = api_token_create(user=dealer_user(customer))
    return Client(HTTP_AUTHORIZATION=f"Token {key}", raise_request_exception=False)


def nothing_written() -> bool:
    return (
        not Order.objects.exists() and not OrderEvent.objects.exists() and not IdempotencyKey.objects.exists()
    )


def no_crash_logged(caplog) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


def order_body(**extra) -> dict:
    product = ProductFactory()
    return {"lines": [{"sku": product.sku, "quantity": 1, "options": {}}], **extra}


@pytest.mark.django_db
def test_json_nested_past_the_decoders_recursion_limit_is_a_400_not_a_500(api, caplog):
    body = "[" * 50000 + "]" * 50000

    response = api.post(URL, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 400
    assert set(response.json()) == ENVELOPE
    assert response.json()["code"] == "parse_error"
    assert no_crash_logged(caplog)
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [21, 500])
def test_json_nested_deeper_than_the_setting_is_refused(api, depth):
    body = '{"lines": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    response = api.post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "JSON parse error - the body is nested more than 20 levels deep.",
        "fields": {},
        "extra": {},
    }
    assert nothing_written()


@pytest.mark.django_db
def test_the_depth_limit_is_a_setting(api, settings):
    settings.API_MAX_JSON_DEPTH = 3
    body = order_body()  # {lines: [{options: {}}]} is 4 levels deep

    refused = api.post(URL, data=body, content_type="application/json")
    settings.API_MAX_JSON_DEPTH = 4
    accepted = api.post(URL, data=body, content_type="application/json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "parse_error"
    assert accepted.status_code == 201, accepted.json()
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_body_over_djangos_upload_limit_is_a_413_in_the_envelope_not_an_html_400(api, settings, caplog):
    # The real settings: API_MAX_BODY_BYTES and DATA_UPLOAD_MAX_MEMORY_SIZE are the same limit, and
    # Django refuses request.body (read by DRF before any parser runs) when it is passed.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.API_MAX_BODY_BYTES
    body = json.dumps(order_body(notes="x" * settings.API_MAX_BODY_BYTES))

    response = api.post(URL, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request body is too large.",
        "fields": {},
        "extra": {},
    }
    assert no_crash_logged(caplog)
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=b"]
)
def test_form_and_multipart_bodies_over_the_limit_are_413s(api, settings, content_type):
    body = b"notes=" + b"x" * (settings.API_MAX_BODY_BYTES + 1)

    response = api.generic("POST", URL, data=body, content_type=content_type)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert nothing_written()


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_a_400_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(11))

    response = api.generic("POST", URL, data=body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "The form has too many fields or files.",
        "fields": {},
        "extra": {},
    }
    assert nothing_written()


@pytest.mark.django_db
def test_a_chunked_body_is_refused_with_411_never_read_as_empty(api):
    body = json.dumps(order_body())

    response = api.post(URL, data=body, content_type="application/json", HTTP_TRANSFER_ENCODING="chunked")

    assert response.status_code == 411
    assert response.json() == {
        "code": "length_required",
        "message": "Send the request body with a Content-Length header; chunked bodies are not accepted.",
        "fields": {},
        "extra": {},
    }
    assert nothing_written()


@pytest.mark.django_db
def test_a_chunked_request_is_refused_before_authentication():
    response = Client().post(
        URL, data="{}", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
