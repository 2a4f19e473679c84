import pytest

from inventory.models import MovementKind, StockMovement
from inventory.services import stock_receive
from production.models import WorkOrderEvent, WorkOrderMaterial
from production.services.materials import (
    MaterialsShort,
    materials_refresh_shortages,
    work_order_materials_reserve,
)
from production.states import WorkOrderEventKind, WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_plant,
    make_work_order,
    stock_of,
)

pytestmark = pytest.mark.django_db


def _setup(*, on_hand_a=10, on_hand_b=10, need_a=4, need_b=2):
    plant = make_plant()
    a = make_component(warehouse=plant.warehouse, on_hand=on_hand_a)
    b = make_component(warehouse=plant.warehouse, on_hand=on_hand_b)
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={a: need_a, b: need_b})
    return plant, a, b, work_order


def test_reserve_holds_every_component_in_the_plant_warehouse(no_drift):
    plant, a, b, work_order = _setup()

    work_order_materials_reserve(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (10, 4)
    assert stock_of(b, plant.warehouse) == (10, 2)
    assert sorted(work_order.materials.values_list("reserved", flat=True)) == [2, 4]
    movements = StockMovement.objects.filter(
        document_type="production.workorder", document_id=str(work_order.pk), kind=MovementKind.RESERVATION
    )
    assert {m.document_line_id for m in movements} == {str(m.pk) for m in work_order.materials.all()}
    assert WorkOrderEvent.objects.filter(
        work_order=work_order, kind=WorkOrderEventKind.MATERIALS_RESERVED
    ).exists()


def test_reserve_twice_reserves_once(no_drift):
    plant, a, _b, work_order = _setup()

    work_order_materials_reserve(work_order_id=work_order.pk)
    work_order_materials_reserve(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (10, 4)
    assert (
        StockMovement.objects.filter(document_id=str(work_order.pk), kind=MovementKind.RESERVATION).count()
        == 2
    )


def test_shortage_refuses_and_reserves_nothing(no_drift):
    plant, a, b, work_order = _setup(on_hand_b=1)

    with pytest.raises(MaterialsShort) as caught:
        work_order_materials_reserve(work_order_id=work_order.pk)

    assert caught.value.status == 409
    assert caught.value.code == "materials_short"
    assert caught.value.extra["lines"] == [{"component_id": b.pk, "sku": b.sku, "needed": 2, "available": 1}]
    assert b.sku in str(caught.value.message)
    assert stock_of(a, plant.warehouse) == (10, 0)
    assert stock_of(b, plant.warehouse) == (1, 0)
    assert set(
        WorkOrderMaterial.objects.filter(work_order=work_order).values_list("reserved", flat=True)
    ) == {0}
    assert not StockMovement.objects.filter(document_id=str(work_order.pk)).exists()
    assert not WorkOrderEvent.objects.filter(work_order=work_order).exists()


def test_a_component_without_any_stock_row_is_short():
    plant = make_plant()
    missing = make_component()
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={missing: 1})

    with pytest.raises(MaterialsShort) as caught:
        work_order_materials_reserve(work_order_id=work_order.pk)

    assert caught.value.extra["lines"][0]["available"] == 0


def test_successful_reserve_clears_the_shortage_flag():
    plant, a, _b, work_order = _setup(on_hand_a=3)
    materials_refresh_shortages(plant_id=plant.pk)
    work_order.refresh_from_db()
    assert work_order.materials_short
    stock_receive(product_id=a.pk, warehouse_id=plant.warehouse_id, quantity=5)

    work_order_materials_reserve(work_order_id=work_order.pk)

    work_order.refresh_from_db()
    assert not work_order.materials_short


def test_a_closed_work_order_reserves_nothing():
    plant, a, _b, work_order = _setup()
    work_order.status = WorkOrderStatus.CANCELLED
    work_order.save(update_fields=["status"])

    work_order_materials_reserve(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (10, 0)
