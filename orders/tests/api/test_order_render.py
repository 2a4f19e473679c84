"""order_data renders an order exactly as OrderSerializer does (it reuses one serializer per thread)."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.api.serializers import OrderSerializer, order_data
from orders.models import Channel, OrderLine
from orders.services import order_create
from orders.tests.api.support import dealer
from orders.tests.factories import make_order, recount_commitments
from pricing.services import LineRequest


def _request(host: str):
    return APIRequestFactory().get("/api/v1/orders/", HTTP_HOST=host)


def _expected(order, request) -> dict:
    return dict(OrderSerializer(order, context={"request": request}).data)


@pytest.mark.django_db
def test_order_data_is_what_the_order_serializer_renders():
    customer, _user, _client = dealer()
    truck = ProductFactory(made_to_order=True, list_price=Decimal("1000.00"))
    cab = ProductOptionFactory(product=truck, code="cab", name="Cab")
    ProductOptionValueFactory(option=cab, code="sleeper", name="Sleeper", price_delta="12.50")
    panel = ProductFactory(list_price=Decimal("33.33"), pack_size=1)
    order = order_create(
        customer=customer,
        channel=Channel.DEALER_API,
        lines=[LineRequest(sku=truck.sku, quantity=1, options={"cab": "sleeper"}), LineRequest(panel.sku, 7)],
    )
    OrderLine.objects.filter(order=order, product=panel).update(quantity_allocated=7, quantity_shipped=3)
    recount_commitments()
    order.refresh_from_db()
    order.approved_at = order.in_production_at = timezone.now()
    order.requested_delivery_date = timezone.localdate()
    order.notes, order.external_reference = "Gate 3 — 北门", "PO-9"
    other = make_order(submit=False)

    for request in (_request("testserver"), _request("localhost")):
        for shown in (order, other):
            assert order_data(shown, request=request) == _expected(shown, request)


@pytest.mark.django_db
def test_order_data_does_not_keep_the_request():
    order = make_order()
    order_data(order, request=_request("testserver"))

    rendered = order_data(order, request=None)

    assert rendered["url"] == f"/api/v1/orders/{order.number}/"
