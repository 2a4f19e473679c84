"""Property-based contract test: schemathesis generates requests from our own OpenAPI schema and
checks every response against it — no 5xx, documented status codes, content types, headers and
bodies, and authentication that is enforced. Bounded so it runs in CI in well under a minute."""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.renderers import JSONOpenAPIRenderer

from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import Channel
from orders.tests.factories import make_order
from restapi.services import api_token_create

# Per operation; raise it for a deeper local run:
#   SCHEMATHESIS_MAX_EXAMPLES=500 pytest tests/api/test_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


@pytest.fixture
def dealer_headers(db):
    """A dealer whose data matches the schema's examples, so the explicit examples succeed too."""
    customer = CustomerFactory(code="D-SZ-001")
    AddressFactory(customer=customer)
    truck = ProductFactory(sku="TRK-H6-2024")
    for code, values in (("cab", ["std", "sleeper"]), ("engine", ["wp10-380"])):
        option = ProductOptionFactory(product=truck, code=code, name=code.title())
        for value in values:
            ProductOptionValueFactory(option=option, code=value)
    ProductFactory(sku="LED-PANEL-60")
    make_order(customer=customer, channel=Channel.DEALER_API)
    _token, key = api_token_create(user=dealer_user(customer))
    return {"Authorization": f"Token {key}"}


@pytest.fixture
def api_schema(db):
    # The real WSGI handler closes "old" connections around each request; inside the test's
    # transaction that would end it, so keep the connection as Django's own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    raw = json.loads(JSONOpenAPIRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    raw["paths"] = {path: item for path, item in raw["paths"].items() if path.startswith("/api/v1/")}
    yield schemathesis.from_dict(raw, app=get_wsgi_application(), base_url="http://localhost")
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")
DEALER_OPERATIONS = r"^/api/v1/"


@schema.parametrize(endpoint=DEALER_OPERATIONS)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_the_api_honours_its_own_schema(case, dealer_headers):
    if case.cookies:
        # The schema also documents session auth (browsable API); this test authenticates by token only.
        case.cookies.pop("sessionid", None)
    response = case.call_wsgi(headers=dealer_headers)
    # Passing our headers tells the auth check they are real credentials: it then resends without
    # them (and with junk) and expects 401.
    case.validate_response(response, headers=dealer_headers, transport_kwargs={"headers": dealer_headers})
