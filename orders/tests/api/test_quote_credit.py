"""The API quote says where the order would leave the customer's credit, and warns before submitting."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from inventory.tests.factories import ProductFactory
from orders.models import Order
from orders.tests.api.support import dealer

URL = "/api/v1/quotes/"


@pytest.mark.django_db
def test_a_quote_within_the_limit_shows_the_credit_left_and_no_warning():
    _customer, _user, client = dealer(credit_limit=Decimal("100000.00"), credit_exposure=Decimal("1000.00"))
    product = ProductFactory(list_price=Decimal("100.00"))

    response = client.post(URL, {"lines": [{"sku": product.sku, "quantity": 1}]}, format="json")

    assert response.status_code == 200, response.content
    quote = response.json()
    credit = quote["credit"]
    assert credit["credit_limit"] == "100000.00"
    assert credit["exposure"] == "1000.00"
    assert Decimal(credit["available"]) == Decimal("99000.00") - Decimal(quote["total"])
    assert (credit["over_limit"], credit["on_hold"], credit["warnings"]) == (False, False, [])


@pytest.mark.django_db
def test_a_quote_over_the_limit_with_old_overdue_invoices_on_hold_warns_and_writes_nothing(settings):
    settings.CREDIT_OVERDUE_DAYS_LIMIT = 30
    _customer, _user, client = dealer(
        credit_limit=Decimal("500.00"),
        credit_exposure=Decimal("450.00"),
        overdue_balance=Decimal("200.00"),
        overdue_since=timezone.localdate() - dt.timedelta(days=45),
        credit_hold=True,
        credit_hold_reason="Unpaid after the final reminder: INV-2026-000007",
    )
    product = ProductFactory(list_price=Decimal("100.00"))

    response = client.post(URL, {"lines": [{"sku": product.sku, "quantity": 1}]}, format="json")

    credit = response.json()["credit"]
    assert (credit["over_limit"], credit["overdue_days"], credit["on_hold"]) == (True, 45, True)
    assert len(credit["warnings"]) == 3
    assert "INV-2026-000007" in credit["warnings"][0]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_quote_schema_documents_the_credit_block():
    schema = Client(HTTP_HOST="localhost").get("/api/schema/", {"format": "json"}).json()

    assert "credit" in schema["components"]["schemas"]["Quote"]["properties"]
    assert "warnings" in schema["components"]["schemas"]["QuoteCredit"]["properties"]
