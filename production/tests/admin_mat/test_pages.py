import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import WorkOrder
from production.services.completion import work_order_complete
from production.states import TrackingMode, WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_family,
    make_plant,
    make_work_order,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("production.tests.admin_mat.urls")]
SHORTAGES = "/admin/production/workorder/shortages/"
TRACE = "/admin/production/workorder/trace/"


@pytest.fixture
def short():
    plant = make_plant()
    component = make_component(warehouse=plant.warehouse, on_hand=1, name="Axle")
    work_order = make_work_order(
        plant=plant,
        product=make_built_product(),
        materials={component: 3},
        planned_start=timezone.now() + dt.timedelta(days=2),
    )
    return plant, component, work_order


def test_shortage_page_lists_the_short_component(admin_client, short):
    _plant, component, work_order = short

    response = admin_client.get(SHORTAGES)

    assert response.status_code == 200
    content = response.content.decode()
    assert component.sku in content
    assert work_order.number in content


def test_shortage_csv_export(admin_client, short):
    plant, component, work_order = short

    response = admin_client.get(SHORTAGES, {"format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == component.sku
    assert rows[1][2:4] == [plant.code, "2"]
    assert rows[1][5] == work_order.number


def test_shortage_check_flags_the_work_orders(admin_client, short):
    _plant, _component, work_order = short

    response = admin_client.post(SHORTAGES)

    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=work_order.pk).materials_short


def test_shortage_page_needs_a_work_order_permission(client, django_user_model, short):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)

    assert client.get(SHORTAGES).status_code == 403


def test_trace_page_shows_the_tree_from_a_serial(admin_client):
    plant = make_plant()
    product = make_built_product(family=make_family(tracking=TrackingMode.SERIAL))
    frame = make_component(warehouse=plant.warehouse, on_hand=2)
    order = make_order(products=[product], status=OrderStatus.IN_PRODUCTION)
    work_order = make_work_order(
        plant=plant, order_line=order.lines.get(), status=WorkOrderStatus.IN_PROGRESS, materials={frame: 1}
    )
    work_order_complete(work_order_id=work_order.pk, serials=["VIN-Z1"], lots={frame.sku: "FR-42"})

    response = admin_client.get(TRACE, {"q": "VIN-Z1"})

    assert response.status_code == 200
    content = response.content.decode()
    for expected in (work_order.batches.get().number, order.number, "FR-42", "Painting", plant.code):
        assert expected in content


def test_trace_page_says_when_nothing_matches(admin_client):
    response = admin_client.get(TRACE, {"q": "NOPE-1"})

    assert response.status_code == 200
    assert "NOPE-1" in response.content.decode()


def test_batch_serial_and_bom_admin_lists_render(admin_client, short):
    for url in (
        "/admin/production/productionbatch/",
        "/admin/production/serialnumber/",
        "/admin/production/bomline/",
        "/admin/production/bomline/add/",
    ):
        assert admin_client.get(url).status_code == 200, url
