"""The OpenAPI schema of the webhook endpoints documents every answer they give (the contract test in
tests/api/test_schemathesis.py holds the responses to it)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/Error"
EXPECTED_STATUSES = {
    ("get", "/api/v1/webhook-endpoints/"): {"200", "400", "401", "403", "429"},
    ("post", "/api/v1/webhook-endpoints/"): {"201", "400", "401", "403", "411", "413", "415", "429"},
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}/"): {"200", "401", "403", "404", "429"},
    ("patch", "/api/v1/webhook-endpoints/{endpoint_id}/"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "411",
        "413",
        "415",
        "429",
    },
    ("delete", "/api/v1/webhook-endpoints/{endpoint_id}/"): {"204", "401", "403", "404", "429"},
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret/"): {"200", "401", "403", "404", "429"},
    ("get", "/api/v1/webhook-deliveries/"): {"200", "400", "401", "403", "429"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operation(schema, method, path):
    return schema["paths"][path][method]


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED_STATUSES))
def test_every_operation_documents_exactly_the_statuses_it_returns(schema, method, path):
    responses = _operation(schema, method, path)["responses"]

    assert set(responses) == EXPECTED_STATUSES[method, path]
    for status, response in responses.items():
        if status.startswith("4"):
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": ERROR_REF}, status
            assert content["examples"], status


def test_the_endpoint_id_is_documented_as_a_bigint_everywhere(schema):
    for method, path in EXPECTED_STATUSES:
        if "{endpoint_id}" not in path:
            continue
        [parameter] = [
            p for p in _operation(schema, method, path)["parameters"] if p["name"] == "endpoint_id"
        ]
        assert parameter["in"] == "path"
        assert parameter["required"] is True
        assert parameter["schema"] == {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": 2**63 - 1,
        }


def test_the_create_operation_documents_the_dealer_group_rule(schema):
    operation = _operation(schema, "post", "/api/v1/webhook-endpoints/")
    body = schema["components"]["schemas"]["WebhookEndpointCreateRequest"]

    assert "several customers" in operation["description"]
    assert "several customers" in body["properties"]["customer"]["description"]
    assert "customer" not in body.get("required", [])
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert any("customer" in example["value"] for example in examples.values())
    invalid = operation["responses"]["400"]["content"]["application/json"]["examples"]
    assert any("customer" in example["value"]["fields"] for example in invalid.values())


def test_create_and_rotate_document_the_secret_and_reads_do_not(schema):
    def response_ref(method, path, status):
        return _operation(schema, method, path)["responses"][status]["content"]["application/json"]["schema"]

    assert response_ref("post", "/api/v1/webhook-endpoints/", "201")["$ref"].endswith(
        "/WebhookEndpointWithSecret"
    )
    assert response_ref("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret/", "200")[
        "$ref"
    ].endswith("/WebhookEndpointWithSecret")
    assert "secret" not in schema["components"]["schemas"]["WebhookEndpoint"]["properties"]
    assert (
        "content"
        not in _operation(schema, "delete", "/api/v1/webhook-endpoints/{endpoint_id}/")["responses"]["204"]
    )
