"""Approved orders get their work orders from the event, once; "in production" comes only from that."""

import pytest

from core import events
from core.errors import ValidationFailed
from core.models import OutboxEvent
from inventory.tests.factories import ProductFactory
from orders.services import order_approve
from orders.services.allocation import order_allocate
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production import tasks
from production.models import WorkOrder
from production.services.scheduling import work_orders_create_for_order
from production.states import WorkOrderStatus

S = OrderStatus


@pytest.fixture
def run_tasks(monkeypatch):
    """Production's tasks queued by its listeners run at once, in this process; others are dropped."""
    from orders import tasks as order_tasks  # noqa: PLC0415

    ran = []
    for task in (tasks.work_orders_create_for_order_task, tasks.work_orders_cancel_for_order_task):

        def delay(_task=task, **kwargs):
            ran.append((_task.name.rsplit(".", 1)[-1], kwargs))
            _task(**kwargs)

        monkeypatch.setattr(task, "delay", delay)
    for task in (
        order_tasks.order_score_priority_task,
        order_tasks.order_allocate_task,
        order_tasks.order_release_stock_task,
        order_tasks.order_review_open_task,
        order_tasks.order_submitted_task,
    ):
        monkeypatch.setattr(task, "delay", lambda **kwargs: None)
    return ran


@pytest.mark.django_db
def test_the_approved_event_delivered_twice_creates_the_work_orders_once(
    setup, run_tasks, django_capture_on_commit_callbacks
):
    # given a submitted order with a made-to-order line and a stock line
    product = setup[4]
    order = make_order(products=[product, ProductFactory()], quantities=[3, 1])

    # when it is approved, and the event is relayed once more
    with django_capture_on_commit_callbacks(execute=True):
        order_approve(order_id=order.pk, expected_version=order.version)
    event = OutboxEvent.objects.get(name="order.approved", aggregate_id=str(order.pk))
    with django_capture_on_commit_callbacks(execute=True):
        events.deliver(event.name, event.payload, event_id=str(event.pk))

    # then one work order builds the made-to-order line, and the order is in production
    created = [kwargs for name, kwargs in run_tasks if name == "work_orders_create_for_order_task"]
    assert created == [{"order_id": order.pk, "event_id": str(event.pk)}] * 2
    work_order = WorkOrder.objects.get()
    assert (work_order.order_line.product, work_order.quantity) == (product, 3)
    order.refresh_from_db()
    assert order.status == S.IN_PRODUCTION


@pytest.mark.django_db
def test_an_order_with_only_stock_lines_gets_no_work_order_and_stays_approved(setup):
    order = make_order(products=[ProductFactory()], status=S.APPROVED)

    assert work_orders_create_for_order(order_id=order.pk) == []

    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.SUBMITTED, S.CANCELLED, S.ON_HOLD])
def test_an_order_that_is_not_approved_gets_no_work_order(setup, status):
    kwargs = {"held_from": S.APPROVED} if status == S.ON_HOLD else {}
    order = make_order(products=[setup[4]], status=status, **kwargs)

    assert work_orders_create_for_order(order_id=order.pk) == []

    assert not WorkOrder.objects.exists()
    order.refresh_from_db()
    assert order.status == status


@pytest.mark.django_db
def test_a_line_production_cannot_schedule_leaves_the_whole_order_unscheduled(setup):
    # given an approved order with a buildable line and a custom build of a product of no family
    stray = ProductFactory(made_to_order=True)
    order = make_order(products=[setup[4], stray], status=S.APPROVED)

    with pytest.raises(ValidationFailed) as refused:
        work_orders_create_for_order(order_id=order.pk)

    assert "lines[2].product" in refused.value.fields
    assert not WorkOrder.objects.exists()
    order.refresh_from_db()
    assert order.status == S.APPROVED


@pytest.mark.django_db
def test_an_order_whose_lines_are_all_built_is_not_moved_to_allocated_by_allocation(setup):
    order = make_order(products=[setup[4]], status=S.APPROVED)

    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.APPROVED
    work_orders_create_for_order(order_id=order.pk)
    order_allocate(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == S.IN_PRODUCTION


@pytest.mark.django_db
def test_the_cancelled_event_cancels_the_orders_work_orders(
    setup, run_tasks, django_capture_on_commit_callbacks
):
    from orders.services import order_cancel  # noqa: PLC0415

    order = make_order(products=[setup[4]], status=S.APPROVED)
    work_orders_create_for_order(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, reason="no longer needed")

    assert WorkOrder.objects.get().status == WorkOrderStatus.CANCELLED
    assert [name for name, _kwargs in run_tasks] == ["work_orders_cancel_for_order_task"]
