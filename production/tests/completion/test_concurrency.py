import threading

import pytest
from django.db import close_old_connections

from inventory.models import MovementKind, StockMovement
from inventory.selectors import stock_drift
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import ProductionBatch
from production.services.completion import work_order_complete
from production.states import WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_plant,
    make_work_order,
    stock_of,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_finishes_at_once_post_stock_once():
    plant = make_plant()
    product = make_built_product()
    component = make_component(warehouse=plant.warehouse, on_hand=10)
    order = make_order(products=[product], quantities=[2], status=OrderStatus.IN_PRODUCTION)
    work_order = make_work_order(
        plant=plant,
        order_line=order.lines.get(),
        quantity=2,
        status=WorkOrderStatus.IN_PROGRESS,
        materials={component: 4},
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def finish():
        try:
            barrier.wait()
            outcomes.append(work_order_complete(work_order_id=work_order.pk).status)
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            outcomes.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [WorkOrderStatus.DONE, WorkOrderStatus.DONE]
    assert ProductionBatch.objects.filter(work_order=work_order).count() == 1
    assert StockMovement.objects.filter(product=product, kind=MovementKind.RECEIPT).count() == 1
    assert stock_of(product, plant.warehouse) == (2, 2)
    assert stock_of(component, plant.warehouse) == (6, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_TO_SHIP
    assert stock_drift() == []
