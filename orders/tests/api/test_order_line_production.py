"""Each line of the dealer's order detail says where its build stands (production's summary on the line)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.tests.factories import ProductFactory
from orders.api.serializers import OrderSerializer, order_data
from orders.models import OrderLine
from orders.services import order_line_production_update
from orders.tests.api.support import dealer, dealer_order
from orders.tests.factories import recount_commitments

PROMISED = dt.date(2026, 3, 20)


def detail(client, order) -> dict:
    return client.get(f"/api/v1/orders/{order.number}/").json()


def built_and_stock_order(customer):
    return dealer_order(customer, products=[ProductFactory(made_to_order=True), ProductFactory()])


@pytest.mark.django_db
def test_a_stock_line_has_no_production():
    customer, _user, client = dealer()
    order = built_and_stock_order(customer)

    lines = detail(client, order)["lines"]

    assert lines[1]["production"] is None


@pytest.mark.django_db
def test_a_built_line_shows_its_stage_progress_promise_and_estimate():
    customer, _user, client = dealer()
    order = built_and_stock_order(customer)
    line = order.lines.get(position=1)
    order_line_production_update(
        line_id=line.pk, stage="Painting", progress=45, promised_date=PROMISED, eta=PROMISED
    )

    production = detail(client, order)["lines"][0]["production"]

    assert production == {
        "stage": "Painting",
        "progress_percent": 45,
        "promised_date": "2026-03-20",
        "eta": "2026-03-20",
        "delayed": False,
    }


@pytest.mark.django_db
def test_a_line_whose_estimate_passed_the_promise_is_delayed():
    customer, _user, client = dealer()
    order = built_and_stock_order(customer)
    line = order.lines.get(position=1)
    order_line_production_update(line_id=line.pk, promised_date=PROMISED, eta=PROMISED + dt.timedelta(days=3))

    production = detail(client, order)["lines"][0]["production"]

    assert production["delayed"] is True
    assert production["eta"] == "2026-03-23"


@pytest.mark.django_db
def test_a_custom_build_not_yet_scheduled_shows_empty_production():
    customer, _user, client = dealer()
    order = built_and_stock_order(customer)
    OrderLine.objects.filter(order=order, position=2).update(is_custom_build=True)
    recount_commitments()

    production = detail(client, order)["lines"][1]["production"]

    assert production == {
        "stage": "",
        "progress_percent": 0,
        "promised_date": None,
        "eta": None,
        "delayed": False,
    }


@pytest.mark.django_db
def test_the_list_shows_it_too_without_more_queries():
    customer, _user, client = dealer()
    order = built_and_stock_order(customer)
    client.get("/api/v1/orders/")
    with CaptureQueriesContext(connection) as before:
        client.get("/api/v1/orders/")
    order_line_production_update(
        line_id=order.lines.get(position=1).pk, stage="Assembly", promised_date=PROMISED, eta=PROMISED
    )

    with CaptureQueriesContext(connection) as after:
        listed = client.get("/api/v1/orders/").json()["results"][0]["lines"]

    assert listed[0]["production"]["stage"] == "Assembly"
    assert len(after.captured_queries) == len(before.captured_queries)


@pytest.mark.django_db
def test_the_fast_renderer_renders_production_as_the_serializer_does(rf):
    customer, _user, _client = dealer()
    order = built_and_stock_order(customer)
    order_line_production_update(
        line_id=order.lines.get(position=1).pk, stage="Painting", promised_date=PROMISED, eta=PROMISED
    )
    order = type(order).objects.prefetch_related("lines", "approvals").get(pk=order.pk)
    request = rf.get("/api/v1/orders/")

    assert order_data(order, request=request) == dict(
        OrderSerializer(order, context={"request": request}).data
    )


def test_the_schema_documents_production_per_line():
    from drf_spectacular.generators import SchemaGenerator  # noqa: PLC0415

    schema = SchemaGenerator().get_schema(request=None, public=True)
    line = schema["components"]["schemas"]["OrderLine"]["properties"]["production"]
    production = schema["components"]["schemas"]["LineProduction"]

    assert line.get("nullable") is True or any(
        option.get("nullable") for option in line.get("allOf", []) + line.get("oneOf", [])
    )
    assert set(production["properties"]) == {"stage", "progress_percent", "promised_date", "eta", "delayed"}
    assert production["properties"]["delayed"]["description"]
