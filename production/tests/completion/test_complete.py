import pytest

from core.errors import InvalidTransition
from inventory.models import ExpectedReceipt, MovementKind, StockMovement
from inventory.selectors import stock_incoming
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent
from orders.services.allocation import order_allocate
from orders.services.production import order_production_started
from orders.states import OrderEventKind, OrderStatus
from orders.tests.factories import make_order
from production.models import ProductionBatch, WorkOrderEvent
from production.services.completion import work_order_complete
from production.services.materials import MaterialsShort
from production.states import TrackingMode, WorkOrderEventKind, WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_family,
    make_mixed_order,
    make_plant,
    make_work_order,
    stock_of,
)

pytestmark = pytest.mark.django_db
W = WorkOrderStatus


def _order_work_order(*, tracking=TrackingMode.BATCH, quantity=2, with_stock_line=False, component_stock=10):
    plant = make_plant()
    product = make_built_product(family=make_family(tracking=tracking))
    component = make_component(warehouse=plant.warehouse, on_hand=component_stock)
    if with_stock_line:
        order = make_mixed_order(
            built_product=product,
            stock_product=ProductFactory(),
            warehouse=plant.warehouse,
            built_quantity=quantity,
        )
    else:
        order = make_order(products=[product], quantities=[quantity], status=OrderStatus.IN_PRODUCTION)
    line = order.lines.get(product=product)
    work_order = make_work_order(
        plant=plant, order_line=line, quantity=quantity, status=W.IN_PROGRESS, materials={component: 3}
    )
    return plant, component, work_order


def test_completion_receives_the_units_reserved_to_the_order_and_closes_the_work_order(no_drift):
    plant, component, work_order = _order_work_order()

    done = work_order_complete(work_order_id=work_order.pk)

    assert (done.status, done.progress_percent) == (W.DONE, 100)
    assert done.done_at is not None
    assert stock_of(work_order.product, plant.warehouse) == (2, 2)
    assert stock_of(component, plant.warehouse) == (7, 0)
    batch = ProductionBatch.objects.get(work_order=work_order)
    assert (batch.quantity, batch.plant, batch.product) == (2, plant, work_order.product)
    assert batch.number.startswith(f"B-{plant.code}-")
    line = work_order.order_line
    line.refresh_from_db()
    assert (line.quantity_allocated, line.production_progress) == (2, 100)
    assert WorkOrderEvent.objects.filter(work_order=work_order, kind=WorkOrderEventKind.DONE).count() == 1


def test_completion_moves_a_built_only_order_to_ready_to_ship():
    _plant, _component, work_order = _order_work_order()

    work_order_complete(work_order_id=work_order.pk)

    work_order.order.refresh_from_db()
    assert work_order.order.status == OrderStatus.READY_TO_SHIP


def test_mixed_order_with_its_stock_line_allocated_goes_ready_to_ship(no_drift):
    _plant, _component, work_order = _order_work_order(with_stock_line=True)
    assert work_order.order.status == OrderStatus.IN_PRODUCTION

    work_order_complete(work_order_id=work_order.pk)

    work_order.order.refresh_from_db()
    assert work_order.order.status == OrderStatus.READY_TO_SHIP
    assert all(line.quantity_allocated == line.quantity for line in work_order.order.lines.all())


def test_order_timeline_tells_the_completion_with_its_batch():
    _plant, _component, work_order = _order_work_order()

    done = work_order_complete(work_order_id=work_order.pk)

    batch = done.batches.get()
    steps = OrderEvent.objects.filter(order=work_order.order, kind=OrderEventKind.PRODUCTION_PROGRESS)
    assert [step.data["event"] for step in steps] == ["completed"]
    assert steps[0].data["batch"] == batch.number


def test_completion_twice_posts_stock_once(no_drift):
    plant, component, work_order = _order_work_order()

    work_order_complete(work_order_id=work_order.pk)
    again = work_order_complete(work_order_id=work_order.pk)

    assert again.status == W.DONE
    assert ProductionBatch.objects.filter(work_order=work_order).count() == 1
    assert stock_of(work_order.product, plant.warehouse) == (2, 2)
    assert stock_of(component, plant.warehouse) == (7, 0)
    receipts = StockMovement.objects.filter(product=work_order.product, kind=MovementKind.RECEIPT)
    assert receipts.count() == 1
    assert WorkOrderEvent.objects.filter(work_order=work_order, kind=WorkOrderEventKind.DONE).count() == 1


def test_a_planned_work_order_cannot_be_completed_and_nothing_happens(no_drift):
    plant = make_plant()
    component = make_component(warehouse=plant.warehouse, on_hand=5)
    work_order = make_work_order(plant=plant, product=make_built_product(), materials={component: 1})

    with pytest.raises(InvalidTransition):
        work_order_complete(work_order_id=work_order.pk)

    assert not ProductionBatch.objects.exists()
    assert stock_of(component, plant.warehouse) == (5, 0)


def test_completion_refused_when_components_are_missing_writes_nothing(no_drift):
    plant, component, work_order = _order_work_order(component_stock=1)

    with pytest.raises(MaterialsShort):
        work_order_complete(work_order_id=work_order.pk)

    work_order.refresh_from_db()
    assert work_order.status == W.IN_PROGRESS
    assert not ProductionBatch.objects.exists()
    assert stock_of(work_order.product, plant.warehouse) == (0, 0)
    assert not OrderEvent.objects.filter(
        order=work_order.order, kind=OrderEventKind.PRODUCTION_PROGRESS
    ).exists()


def test_make_to_stock_is_received_through_its_expected_receipt(no_drift):
    plant = make_plant()
    product = make_built_product(made_to_order=False)
    work_order = make_work_order(
        plant=plant, product=product, quantity=3, status=W.IN_PROGRESS, expected_receipt=True
    )

    work_order_complete(work_order_id=work_order.pk)

    receipt = ExpectedReceipt.objects.get(pk=work_order.expected_receipt_id)
    assert receipt.received
    assert stock_of(product, plant.warehouse) == (3, 0)
    assert stock_incoming(product_ids=[product.pk]) == {}


def test_make_to_stock_without_a_receipt_is_received_into_its_warehouse(no_drift):
    plant = make_plant()
    product = make_built_product(made_to_order=False)
    work_order = make_work_order(plant=plant, product=product, quantity=2, status=W.IN_PROGRESS)

    work_order_complete(work_order_id=work_order.pk)

    assert stock_of(product, plant.warehouse) == (2, 0)
    movement = StockMovement.objects.get(product=product, kind=MovementKind.RECEIPT)
    assert (movement.document_type, movement.document_id) == ("production.workorder", str(work_order.pk))


def test_a_stale_expected_receipt_is_withdrawn_and_the_built_quantity_received(no_drift):
    plant = make_plant()
    product = make_built_product(made_to_order=False)
    work_order = make_work_order(
        plant=plant, product=product, quantity=3, status=W.IN_PROGRESS, expected_receipt=True
    )
    type(work_order).objects.filter(pk=work_order.pk).update(quantity=2)

    work_order_complete(work_order_id=work_order.pk)

    assert not ExpectedReceipt.objects.filter(product=product).exists()
    assert stock_of(product, plant.warehouse) == (2, 0)


def test_lots_given_at_completion_are_recorded():
    _plant, component, work_order = _order_work_order()

    work_order_complete(work_order_id=work_order.pk, lots={component.sku: "LOT-77"})

    assert work_order.materials.get().lot_numbers == "LOT-77"


def test_mixed_order_whose_stock_line_waits_moves_to_allocated_with_its_backorder(no_drift):
    plant = make_plant()
    product = make_built_product()
    waiting = ProductFactory()
    order = make_order(products=[waiting, product], quantities=[1, 1])
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.APPROVED)
    order_allocate(order_id=order.pk)
    order_production_started(order_id=order.pk)
    work_order = make_work_order(
        plant=plant, order_line=order.lines.get(product=product), status=W.IN_PROGRESS
    )

    work_order_complete(work_order_id=work_order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert order.lines.get(product=waiting).quantity_allocated == 0
    assert order.lines.get(product=product).quantity_allocated == 1
