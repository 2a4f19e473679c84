"""The OpenAPI schema documents every dealer endpoint and error, and the docs page needs no CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/products/"),
    ("post", "/api/v1/quotes/"),
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("get", "/api/v1/orders/{number}/"),
    ("patch", "/api/v1/orders/{number}/"),
    ("post", "/api/v1/orders/{number}/cancel/"),
    ("get", "/api/v1/orders/{number}/timeline/"),
    ("get", "/api/v1/invoices/"),
    ("get", "/api/v1/invoices/{number}/"),
    ("get", "/api/v1/shipments/"),
    ("get", "/api/v1/shipments/{number}/"),
}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture
def schema():
    response = Client(HTTP_HOST="localhost").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def dealer_operations(schema):
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith(("/api/v1/webhook", "/api/v1/shop-floor/")):
            continue
        for method, operation in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                yield method, path, operation


def test_the_schema_is_openapi_3_and_lists_every_dealer_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert {(method, path) for method, path, _op in dealer_operations(schema)} >= EXPECTED_OPERATIONS
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }


def test_every_operation_documents_its_errors_with_the_envelope_and_examples(schema):
    for method, path, operation in dealer_operations(schema):
        responses = operation["responses"]
        expected = {"400", "401", "403", "429"}
        if method != "get":
            expected |= {"411", "413", "415"}
        if "{number}" in path:
            expected.add("404")
        assert expected <= set(responses), (method, path, set(responses))
        for status, response in responses.items():
            content = response["content"]["application/json"]
            if status.startswith(("4", "5")):
                assert content["schema"] == {"$ref": ERROR_REF}, (method, path, status)
                assert content["examples"], (method, path, status)
            else:
                assert content["schema"], (method, path, status)
        assert operation.get("summary"), (method, path)


def test_every_request_body_has_examples(schema):
    for method, path, operation in dealer_operations(schema):
        if method == "get":
            continue
        body = operation["requestBody"]["content"]["application/json"]
        assert body.get("examples"), (method, path)


def test_the_error_envelope_is_a_documented_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields", "extra"}
    assert set(error["required"]) == {"code", "message", "fields", "extra"}


def test_limits_are_in_the_schema(schema, settings):
    create = schema["components"]["schemas"]["OrderCreateRequest"]
    assert create["properties"]["lines"]["maxItems"] == settings.ORDER_MAX_LINES
    line = schema["components"]["schemas"]["LineInputRequest"]
    assert line["properties"]["quantity"]["maximum"] == settings.ORDER_LINE_MAX_QUANTITY
    assert line["properties"]["quantity"]["minimum"] == 1


def test_the_docs_page_loads_only_our_own_static_files():
    response = Client(HTTP_HOST="localhost").get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page should load the Swagger UI bundle"
    for asset in assets:
        if asset.startswith("/api/docs/?"):
            continue  # Swagger UI's init script, served by the docs view itself (the split view)
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert not re.search(r"https?://|//cdn", html)


def test_every_documented_error_example_has_the_four_envelope_keys(schema):
    """On main before issue #7 the examples (like the real bodies) left `extra` out when empty."""
    seen = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                for name, example in response["content"]["application/json"].get("examples", {}).items():
                    assert set(example["value"]) == {"code", "message", "fields", "extra"}, (
                        method,
                        path,
                        name,
                    )
                    seen += 1
    assert seen > 50
