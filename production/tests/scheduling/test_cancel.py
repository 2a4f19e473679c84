"""Cancelling a work order frees its capacity and withdraws what it announced."""

import pytest

from core.errors import InvalidTransition
from inventory.models import ExpectedReceipt
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent
from orders.states import OrderEventKind, OrderStatus
from orders.tests.factories import make_order
from production.models import WorkOrder, WorkOrderEvent, WorkOrderLoad
from production.services.scheduling import work_order_cancel, work_order_create, work_orders_cancel_for_order
from production.states import WorkOrderEventKind, WorkOrderStatus

from .conftest import loads_of


@pytest.mark.django_db
def test_cancelling_frees_the_capacity_for_the_next_work_order(setup, monday):
    product = setup[4]
    work_order = work_order_create(product_id=product.pk, quantity=4)

    cancelled = work_order_cancel(work_order_id=work_order.pk, reason="customer changed mind")
    following = work_order_create(product_id=product.pk, quantity=4)

    assert cancelled.status == WorkOrderStatus.CANCELLED
    assert not WorkOrderLoad.objects.filter(work_order=work_order).exists()
    assert loads_of(following) == [(monday, 4)]
    entry = WorkOrderEvent.objects.get(work_order=work_order, kind=WorkOrderEventKind.CANCELLED)
    assert entry.note == "customer changed mind"


@pytest.mark.django_db
def test_cancelling_make_to_stock_withdraws_its_expected_receipt(setup):
    stocked = ProductFactory(category=setup[4].category)
    work_order = work_order_create(product_id=stocked.pk, quantity=3)

    work_order_cancel(work_order_id=work_order.pk)

    work_order.refresh_from_db()
    assert work_order.expected_receipt is None
    assert not ExpectedReceipt.objects.exists()


@pytest.mark.django_db
def test_a_done_work_order_is_not_cancelled_and_keeps_its_bookings(setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)
    WorkOrder.objects.filter(pk=work_order.pk).update(status=WorkOrderStatus.DONE)

    with pytest.raises(InvalidTransition):
        work_order_cancel(work_order_id=work_order.pk)

    assert WorkOrderLoad.objects.filter(work_order=work_order).exists()
    assert WorkOrder.objects.get(pk=work_order.pk).status == WorkOrderStatus.DONE


@pytest.mark.django_db
def test_cancelling_twice_changes_nothing_the_second_time(setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)
    work_order_cancel(work_order_id=work_order.pk)

    again = work_order_cancel(work_order_id=work_order.pk)

    assert again.status == WorkOrderStatus.CANCELLED
    assert (
        WorkOrderEvent.objects.filter(work_order=work_order, kind=WorkOrderEventKind.CANCELLED).count() == 1
    )


@pytest.mark.django_db
def test_an_orders_open_work_orders_are_cancelled_and_its_line_told(setup):
    product = setup[4]
    order = make_order(products=[product], quantities=[2], status=OrderStatus.APPROVED)
    work_order = work_order_create(product_id=product.pk, quantity=2, order_line_id=order.lines.get().pk)

    cancelled = work_orders_cancel_for_order(order_id=order.pk, reason="order.cancelled")

    assert [wo.pk for wo in cancelled] == [work_order.pk]
    assert WorkOrder.objects.get(pk=work_order.pk).status == WorkOrderStatus.CANCELLED
    steps = [
        e.data["event"]
        for e in OrderEvent.objects.filter(order=order, kind=OrderEventKind.PRODUCTION_PROGRESS)
    ]
    assert steps == ["cancelled", "scheduled"]
    assert work_orders_cancel_for_order(order_id=order.pk) == []
