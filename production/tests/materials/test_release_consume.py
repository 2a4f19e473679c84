import pytest

from core.errors import ValidationFailed
from inventory.models import MovementKind, StockMovement
from inventory.services import stock_receive
from production.services.materials import (
    MaterialsShort,
    work_order_material_lots_set,
    work_order_materials_consume,
    work_order_materials_release,
    work_order_materials_reserve,
)
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_plant,
    make_work_order,
    stock_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reserved():
    plant = make_plant()
    a = make_component(warehouse=plant.warehouse, on_hand=10)
    b = make_component(warehouse=plant.warehouse, on_hand=5)
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={a: 4, b: 2})
    work_order_materials_reserve(work_order_id=work_order.pk)
    return plant, a, b, work_order


def test_release_gives_the_components_back(reserved, no_drift):
    plant, a, b, work_order = reserved

    work_order_materials_release(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (10, 0)
    assert stock_of(b, plant.warehouse) == (5, 0)
    assert set(work_order.materials.values_list("reserved", flat=True)) == {0}


def test_release_twice_releases_once(reserved, no_drift):
    plant, a, _b, work_order = reserved

    work_order_materials_release(work_order_id=work_order.pk)
    work_order_materials_release(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (10, 0)
    assert (
        StockMovement.objects.filter(document_id=str(work_order.pk), kind=MovementKind.RELEASE).count() == 2
    )


def test_consume_takes_the_components_off_stock(reserved, no_drift):
    plant, a, b, work_order = reserved

    work_order_materials_consume(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (6, 0)
    assert stock_of(b, plant.warehouse) == (3, 0)
    assert sorted(work_order.materials.values_list("consumed", "reserved")) == [(2, 0), (4, 0)]
    assert (
        StockMovement.objects.filter(document_id=str(work_order.pk), kind=MovementKind.CONSUMPTION).count()
        == 2
    )


def test_consume_twice_consumes_once(reserved, no_drift):
    plant, a, _b, work_order = reserved

    work_order_materials_consume(work_order_id=work_order.pk)
    work_order_materials_consume(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (6, 0)


def test_consume_reserves_first_what_was_not_reserved(no_drift):
    plant = make_plant()
    a = make_component(warehouse=plant.warehouse, on_hand=3)
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={a: 3})

    work_order_materials_consume(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (0, 0)


def test_consume_refuses_when_the_ledger_lacks_components(no_drift):
    plant = make_plant()
    a = make_component(warehouse=plant.warehouse, on_hand=1)
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={a: 3})

    with pytest.raises(MaterialsShort):
        work_order_materials_consume(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (1, 0)
    assert set(work_order.materials.values_list("consumed", flat=True)) == {0}


def test_release_after_partial_consumption_and_new_stock_keeps_the_ledger(reserved, no_drift):
    plant, a, _b, work_order = reserved
    stock_receive(product_id=a.pk, warehouse_id=plant.warehouse_id, quantity=2)

    work_order_materials_release(work_order_id=work_order.pk)
    work_order_materials_reserve(work_order_id=work_order.pk)
    work_order_materials_consume(work_order_id=work_order.pk)

    assert stock_of(a, plant.warehouse) == (8, 0)


def test_lots_are_recorded_by_component_id_or_sku(reserved):
    _plant, a, b, work_order = reserved

    work_order_material_lots_set(work_order_id=work_order.pk, lots={a.pk: "L-1, L-2", b.sku.lower(): " S9 "})

    lots = dict(work_order.materials.values_list("component_id", "lot_numbers"))
    assert lots == {a.pk: "L-1, L-2", b.pk: "S9"}


def test_lots_for_an_unknown_component_are_refused_and_nothing_is_written(reserved):
    _plant, a, _b, work_order = reserved

    with pytest.raises(ValidationFailed) as caught:
        work_order_material_lots_set(work_order_id=work_order.pk, lots={a.pk: "L-1", "NOPE": "x"})

    assert "lots" in caught.value.fields
    assert set(work_order.materials.values_list("lot_numbers", flat=True)) == {""}
