import datetime as dt

import pytest
from django.utils import timezone

from inventory.services import stock_receive
from production.selectors.materials import requirements_for_work_order, shortage_list
from production.services.materials import materials_refresh_shortages, work_order_materials_reserve
from production.states import WorkOrderStatus
from production.tests.factories_mat import make_built_product, make_component, make_plant, make_work_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    """Three planned work orders of one plant needing 4 units each of a component with 6 on hand;
    the latest is created first, to show the planned start, not the id, decides."""
    plant = make_plant()
    component = make_component(warehouse=plant.warehouse, on_hand=6)
    product = make_built_product()
    now = timezone.now()
    late = make_work_order(
        plant=plant, product=product, materials={component: 4}, planned_start=now + dt.timedelta(days=9)
    )
    early = make_work_order(
        plant=plant, product=product, materials={component: 4}, planned_start=now + dt.timedelta(days=1)
    )
    middle = make_work_order(
        plant=plant, product=product, materials={component: 4}, planned_start=now + dt.timedelta(days=4)
    )
    return plant, component, early, middle, late


def _flags(*work_orders):
    return [type(wo).objects.get(pk=wo.pk).materials_short for wo in work_orders]


def test_refresh_flags_the_work_orders_the_stock_cannot_cover_in_planned_start_order(queue):
    plant, _component, early, middle, late = queue

    flagged = materials_refresh_shortages(plant_id=plant.pk)

    assert flagged == 2
    assert _flags(early, middle, late) == [False, True, True]


def test_refresh_clears_flags_once_stock_covers(queue):
    plant, component, early, middle, late = queue
    materials_refresh_shortages()
    stock_receive(product_id=component.pk, warehouse_id=plant.warehouse_id, quantity=6)

    assert materials_refresh_shortages() == 0

    assert _flags(early, middle, late) == [False, False, False]


def test_refresh_counts_stock_reserved_by_started_work_orders(queue):
    plant, _component, early, middle, late = queue
    work_order_materials_reserve(work_order_id=middle.pk)
    type(middle).objects.filter(pk=middle.pk).update(status=WorkOrderStatus.IN_PROGRESS)

    materials_refresh_shortages(plant_id=plant.pk)

    assert _flags(early, middle, late) == [True, False, True]


def test_refresh_runs_in_bounded_queries(queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        materials_refresh_shortages()


def test_shortage_list_gives_quantity_date_and_work_orders(queue):
    plant, component, _early, middle, late = queue

    rows = shortage_list(plant_id=plant.pk)

    assert len(rows) == 1
    row = rows[0]
    assert (row["component"], row["plant"]) == (component, plant)
    assert row["quantity_short"] == 2 + 4
    assert row["date_needed"] == timezone.localdate(middle.planned_start)
    assert [(w["number"], w["short"]) for w in row["work_orders"]] == [(middle.number, 2), (late.number, 4)]


def test_shortage_list_is_empty_when_stock_covers_everything():
    plant = make_plant()
    component = make_component(warehouse=plant.warehouse, on_hand=5)
    make_work_order(plant=plant, product=make_built_product(), materials={component: 5})

    assert shortage_list() == []


def test_shortage_list_per_plant_and_component_sorted_by_date():
    product = make_built_product()
    near, far = make_plant(), make_plant()
    component = make_component()
    now = timezone.now()
    make_work_order(
        plant=far, product=product, materials={component: 1}, planned_start=now + dt.timedelta(days=8)
    )
    make_work_order(
        plant=near, product=product, materials={component: 2}, planned_start=now + dt.timedelta(days=2)
    )

    rows = shortage_list()

    assert [(row["plant"], row["quantity_short"]) for row in rows] == [(near, 2), (far, 1)]


def test_shortage_list_queries_do_not_grow_with_work_orders(queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        shortage_list()


def test_requirements_for_work_order_show_what_is_short_today(queue):
    _plant, component, early, _middle, _late = queue

    (row,) = requirements_for_work_order(early)

    assert (row["component"], row["needed"], row["remaining"], row["available"], row["short"]) == (
        component,
        4,
        4,
        6,
        0,
    )
