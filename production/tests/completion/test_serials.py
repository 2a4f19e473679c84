import pytest
from django.utils import timezone

from core.errors import ValidationFailed
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import ProductionBatch, SerialNumber
from production.services.completion import work_order_complete
from production.states import TrackingMode, WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_family,
    make_plant,
    make_work_order,
    stock_of,
)

pytestmark = pytest.mark.django_db
W = WorkOrderStatus


def _work_order(*, tracking=TrackingMode.SERIAL, quantity=3):
    plant = make_plant()
    product = make_built_product(family=make_family(tracking=tracking), sku=f"TRK-{quantity}")
    component = make_component(warehouse=plant.warehouse, on_hand=10)
    order = make_order(products=[product], quantities=[quantity], status=OrderStatus.IN_PRODUCTION)
    return plant, make_work_order(
        plant=plant,
        order_line=order.lines.get(),
        quantity=quantity,
        status=W.IN_PROGRESS,
        materials={component: 1},
    )


def _nothing_written(plant, work_order):
    work_order.refresh_from_db()
    assert work_order.status == W.IN_PROGRESS
    assert not ProductionBatch.objects.exists()
    assert not SerialNumber.objects.exists()
    assert stock_of(work_order.product, plant.warehouse) == (0, 0)


def test_given_serials_are_recorded_one_per_unit_for_the_order_line(no_drift):
    _plant, work_order = _work_order()

    work_order_complete(work_order_id=work_order.pk, serials=["VIN-1", "VIN-2", "VIN-3"])

    serials = SerialNumber.objects.filter(batch__work_order=work_order)
    assert sorted(serials.values_list("serial", flat=True)) == ["VIN-1", "VIN-2", "VIN-3"]
    assert {serial.order_line_id for serial in serials} == {work_order.order_line_id}


def test_serials_are_generated_when_not_given():
    _plant, work_order = _work_order(quantity=2)

    work_order_complete(work_order_id=work_order.pk)

    yymm = timezone.localdate().strftime("%y%m")
    assert sorted(SerialNumber.objects.values_list("serial", flat=True)) == [
        f"TRK-2-{yymm}-00001",
        f"TRK-2-{yymm}-00002",
    ]


@pytest.mark.parametrize(
    "serials",
    [
        ["VIN-1", "VIN-2"],  # too few
        ["VIN-1", "VIN-2", "VIN-3", "VIN-4"],  # too many
        ["VIN-1", "VIN-1", "VIN-3"],  # repeated
        ["VIN-1", "VIN 2", "VIN-3"],  # malformed
        ["VIN-1", "", "VIN-3"],  # empty
        ["VIN-1", "X" * 41, "VIN-3"],  # too long
    ],
)
def test_wrong_serials_are_refused_with_a_field_error_and_nothing_is_written(serials):
    plant, work_order = _work_order()

    with pytest.raises(ValidationFailed) as caught:
        work_order_complete(work_order_id=work_order.pk, serials=serials)

    assert "serials" in caught.value.fields
    _nothing_written(plant, work_order)


def test_a_serial_already_used_is_refused():
    _plant, first = _work_order(quantity=1)
    work_order_complete(work_order_id=first.pk, serials=["VIN-1"])
    plant = make_plant()
    product = make_built_product(family=make_family(tracking=TrackingMode.SERIAL))
    order = make_order(products=[product], status=OrderStatus.IN_PRODUCTION)
    second = make_work_order(plant=plant, order_line=order.lines.get(), status=W.IN_PROGRESS)

    with pytest.raises(ValidationFailed) as caught:
        work_order_complete(work_order_id=second.pk, serials=["VIN-1"])

    assert "VIN-1" in str(caught.value.fields["serials"])
    assert not ProductionBatch.objects.filter(work_order=second).exists()


def test_serials_for_a_batch_tracked_family_are_refused():
    plant, work_order = _work_order(tracking=TrackingMode.BATCH, quantity=1)

    with pytest.raises(ValidationFailed) as caught:
        work_order_complete(work_order_id=work_order.pk, serials=["VIN-1"])

    assert "serials" in caught.value.fields
    _nothing_written(plant, work_order)
