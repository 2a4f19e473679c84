"""GET /api/v1/shop-floor/work-orders/ and the OpenAPI schema of the shop-floor endpoints."""

import pytest
from django.test import Client

from production.services.progress import stage_start
from production.states import WorkOrderStatus
from production.tests.factories import PlantFactory
from production.tests.factories_floor import make_device, make_work_order

pytestmark = pytest.mark.django_db
URL = "/api/v1/shop-floor/work-orders/"


def get(token):
    return Client().get(URL, HTTP_AUTHORIZATION=f"Device {token}")


def test_a_terminal_lists_its_plants_open_work_orders_with_stages_and_next_step():
    started = make_work_order()
    plant = started.plant
    planned = make_work_order(plant=plant)
    make_work_order(plant=plant, status=WorkOrderStatus.DONE)
    make_work_order()  # another plant's
    stage_start(work_order_id=started.pk, stage_code="welding")
    _device, token = make_device(plant=plant)

    rows = get(token).json()

    assert [r["number"] for r in rows] == [started.number, planned.number]
    assert rows[0]["next_step"] == {"stage": "welding", "action": "finish", "is_last": False}
    assert rows[1]["next_step"]["action"] == "start"
    assert [s["code"] for s in rows[0]["stages"]] == ["welding", "painting", "assembly", "inspection"]


def test_the_list_query_count_does_not_grow_with_work_orders(django_assert_max_num_queries):
    plant = PlantFactory()
    for _ in range(15):
        make_work_order(plant=plant)
    _device, token = make_device(plant=plant)
    get(token)  # marks the device seen

    with django_assert_max_num_queries(3):
        response = get(token)

    assert len(response.json()) == 15


def test_the_schema_documents_the_shop_floor_endpoints_and_the_device_scheme():
    schema = Client().get("/api/schema/?format=json").json()

    assert "/api/v1/shop-floor/events/" in schema["paths"]
    post = schema["paths"]["/api/v1/shop-floor/events/"]["post"]
    assert post["security"] == [{"deviceAuth": []}]
    assert {"200", "201", "401", "403", "409"} <= set(post["responses"])
    assert "/api/v1/shop-floor/work-orders/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["deviceAuth"]["name"] == "Authorization"
