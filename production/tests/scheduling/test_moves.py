"""The scheduler's moves: re-sequence, move to another line, split; every date behind them follows."""

import pytest

from core.errors import Conflict, ValidationFailed
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent
from orders.states import OrderEventKind, OrderStatus
from orders.tests.factories import make_order
from production.models import WorkOrder, WorkOrderEvent
from production.services.scheduling import (
    line_reschedule,
    work_order_create,
    work_order_move,
    work_order_resequence,
    work_order_split,
)
from production.states import WorkOrderEventKind, WorkOrderStatus
from production.tests.factories import make_production_setup

from .conftest import day, loads_of


def _refresh(*rows):
    for row in rows:
        row.refresh_from_db()


@pytest.mark.django_db
def test_resequencing_moves_the_passed_work_order_back_and_itself_forward(setup, monday):
    product = setup[4]
    first = work_order_create(product_id=product.pk, quantity=4)
    second = work_order_create(product_id=product.pk, quantity=4)
    before = (first.planned_finish, second.planned_finish)

    work_order_resequence(work_order_id=second.pk, position=1)

    _refresh(first, second)
    assert (loads_of(second), loads_of(first)) == ([(monday, 4)], [(day(monday, 1), 4)])
    assert second.planned_finish < before[1]
    assert first.planned_finish > before[0]
    assert second.eta == second.planned_finish
    assert first.eta == first.planned_finish
    assert [wo.pk for wo in WorkOrder.objects.filter(line=setup[2]).order_by("sequence")] == [
        second.pk,
        first.pk,
    ]
    assert WorkOrderEvent.objects.filter(work_order=first, kind=WorkOrderEventKind.RESCHEDULED).exists()
    entries = WorkOrderEvent.objects.filter(work_order=second, kind=WorkOrderEventKind.RESCHEDULED)
    assert {"previous_position": 2, "position": 1} in [
        {k: e.data.get(k) for k in ("previous_position", "position")} for e in entries
    ]


@pytest.mark.django_db
def test_resequencing_an_order_work_order_moves_the_order_lines_eta(setup, monday):
    product = setup[4]
    order = make_order(products=[product], quantities=[4], status=OrderStatus.APPROVED)
    line = order.lines.get()
    for_order = work_order_create(product_id=product.pk, quantity=4, order_line_id=line.pk)
    stock = work_order_create(product_id=ProductFactory(category=product.category).pk, quantity=4)
    promised = for_order.promised_date

    work_order_resequence(work_order_id=stock.pk, position=1)

    _refresh(for_order, stock, line)
    assert line.eta == for_order.planned_finish.date() > promised
    assert line.promised_date == promised  # the promise stays; the estimate moves
    assert for_order.promised_date == promised
    assert OrderEvent.objects.filter(order=order, kind=OrderEventKind.ETA_CHANGED).exists()
    stock.expected_receipt.refresh_from_db()
    assert stock.expected_receipt.expected_on == stock.planned_finish.date()


@pytest.mark.django_db
def test_a_position_out_of_range_is_refused_and_nothing_moves(setup, monday):
    product = setup[4]
    only = work_order_create(product_id=product.pk, quantity=4)

    with pytest.raises(ValidationFailed) as refused:
        work_order_resequence(work_order_id=only.pk, position=2)

    assert list(refused.value.fields) == ["position"]
    assert loads_of(only) == [(monday, 4)]


@pytest.mark.django_db
def test_moving_to_another_line_books_it_there_and_pulls_the_old_line_forward(setup, monday):
    family, _plant, old_line, _stages, product = setup
    _f, new_plant, new_line, _s, _p = make_production_setup(family=family, units_per_day=4)
    first = work_order_create(product_id=product.pk, quantity=4, plant_id=old_line.plant_id)
    behind = work_order_create(product_id=product.pk, quantity=4, plant_id=old_line.plant_id)
    work_order_create(product_id=product.pk, quantity=4, plant_id=new_plant.pk)

    work_order_move(work_order_id=first.pk, line_id=new_line.pk)

    _refresh(first, behind)
    assert (first.line, first.plant, first.warehouse) == (new_line, new_plant, new_plant.warehouse)
    assert loads_of(first) == [(day(monday, 1), 4)]
    assert loads_of(behind) == [(monday, 4)]
    assert set(first.loads.values_list("line_id", flat=True)) == {new_line.pk}


@pytest.mark.django_db
def test_a_line_of_another_family_is_refused(setup):
    product = setup[4]
    work_order = work_order_create(product_id=product.pk, quantity=1)
    _f, _p, foreign_line, _s, _x = make_production_setup()

    with pytest.raises(ValidationFailed) as refused:
        work_order_move(work_order_id=work_order.pk, line_id=foreign_line.pk)

    assert list(refused.value.fields) == ["line"]
    work_order.refresh_from_db()
    assert work_order.line == setup[2]


@pytest.mark.django_db
def test_a_work_order_in_progress_is_not_moved(setup):
    product = setup[4]
    work_order = work_order_create(product_id=product.pk, quantity=1)
    WorkOrder.objects.filter(pk=work_order.pk).update(status=WorkOrderStatus.IN_PROGRESS)
    _f, _p, other, _s, _x = make_production_setup(family=setup[0])

    with pytest.raises(Conflict):
        work_order_move(work_order_id=work_order.pk, line_id=other.pk)

    assert loads_of(work_order)[0][1] == 1
    assert WorkOrder.objects.get(pk=work_order.pk).line == setup[2]


@pytest.mark.django_db
def test_splitting_makes_a_new_work_order_right_behind_and_the_rest_of_the_line_follows(setup, monday):
    product = setup[4]
    big = work_order_create(product_id=product.pk, quantity=8)
    after = work_order_create(product_id=product.pk, quantity=4)

    new = work_order_split(work_order_id=big.pk, quantity=3)

    _refresh(big, after)
    assert (big.quantity, new.quantity, new.split_from) == (5, 3, big)
    assert list(
        WorkOrder.objects.filter(line=setup[2]).order_by("sequence").values_list("pk", flat=True)
    ) == [
        big.pk,
        new.pk,
        after.pk,
    ]
    assert loads_of(big) == [(monday, 4), (day(monday, 1), 1)]
    assert loads_of(new) == [(day(monday, 1), 3)]
    assert loads_of(after) == [(day(monday, 2), 4)]
    assert new.promised_date == big.promised_date
    assert list(new.stages.values_list("code", flat=True)) == ["welding", "painting", "assembly"]
    assert WorkOrderEvent.objects.filter(work_order=big, kind=WorkOrderEventKind.SPLIT).get().data[
        "into"
    ] == (new.number)


@pytest.mark.django_db
def test_splitting_a_make_to_stock_work_order_splits_its_expected_receipt(setup):
    stocked = ProductFactory(category=setup[4].category)
    work_order = work_order_create(product_id=stocked.pk, quantity=6)

    new = work_order_split(work_order_id=work_order.pk, quantity=2)

    work_order.refresh_from_db()
    assert work_order.expected_receipt.quantity == 4
    assert new.expected_receipt.quantity == 2
    assert new.expected_receipt_id != work_order.expected_receipt_id


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, 4])
def test_a_split_must_leave_units_on_both_sides(setup, quantity):
    work_order = work_order_create(product_id=setup[4].pk, quantity=4)

    with pytest.raises(ValidationFailed):
        work_order_split(work_order_id=work_order.pk, quantity=quantity)

    assert WorkOrder.objects.count() == 1
    assert WorkOrder.objects.get().quantity == 4


@pytest.mark.django_db
def test_rescheduling_keeps_the_past_days_of_a_work_order_in_progress(setup, monday, today):
    product = setup[4]
    running = work_order_create(product_id=product.pk, quantity=8)  # Monday and Tuesday
    waiting = work_order_create(product_id=product.pk, quantity=4)  # Wednesday
    late = work_order_create(product_id=product.pk, quantity=2)  # Thursday
    WorkOrder.objects.filter(pk=running.pk).update(status=WorkOrderStatus.IN_PROGRESS)
    start = running.planned_start

    # when it is Tuesday, the late one is put first, and the line is booked again
    today.set(day(monday, 1))
    work_order_resequence(work_order_id=late.pk, position=1)

    _refresh(running, waiting, late)
    assert loads_of(late) == [(day(monday, 1), 2)]
    assert loads_of(running) == [(monday, 4), (day(monday, 1), 2), (day(monday, 2), 2)]
    assert loads_of(waiting) == [(day(monday, 2), 2), (day(monday, 3), 2)]
    assert running.planned_start == start


@pytest.mark.django_db
def test_a_planned_work_order_that_never_started_is_booked_again_from_today(setup, monday, today):
    product = setup[4]
    work_order = work_order_create(product_id=product.pk, quantity=4)

    today.set(day(monday, 2))
    moved = line_reschedule(line_id=setup[2].pk)

    work_order.refresh_from_db()
    assert moved == 1
    assert loads_of(work_order) == [(day(monday, 2), 4)]
    assert work_order.planned_start.date() == day(monday, 2)


@pytest.mark.django_db
def test_rescheduling_never_books_before_a_work_orders_earliest_day(setup, monday):
    product = setup[4]
    later = work_order_create(product_id=product.pk, quantity=4, earliest=day(monday, 3))

    assert line_reschedule(line_id=setup[2].pk) == 0

    assert loads_of(later) == [(day(monday, 3), 4)]
