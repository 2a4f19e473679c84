"""The `make_order(status=…)` test shortcut puts an order where a test needs it, the way the engine would."""

import pytest

from inventory.models import StockLevel
from inventory.selectors import stock_drift
from orders.states import OrderStatus
from orders.tests.factories import factory_warehouse, make_order

S = OrderStatus


@pytest.mark.django_db
def test_an_asked_status_is_set_with_its_stamp_and_nothing_else_is_recorded():
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP, stock=False)

    assert (order.status, order.status_before_hold, order.version) == (S.READY_TO_SHIP, "", 1)
    assert order.ready_to_ship_at is not None
    assert order.submitted_at is not None
    assert [line.quantity for line in order.lines.order_by("position")] == [3, 2]
    assert sorted(order.events.values_list("kind", flat=True)) == ["order.created", "order.submitted"]


@pytest.mark.django_db
def test_an_order_on_hold_remembers_where_it_was_held_from():
    order = make_order(status=S.ON_HOLD, held_from=S.APPROVED)

    assert (order.status, order.status_before_hold) == (S.ON_HOLD, S.APPROVED)
    assert order.approved_at is not None
    assert order.on_hold_at is not None


@pytest.mark.django_db
def test_a_draft_is_never_submitted():
    order = make_order(status=S.DRAFT)

    assert (order.status, order.submitted_at) == (S.DRAFT, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "held_from", "refusal"),
    [
        (S.ON_HOLD, "", "needs held_from"),
        (S.ON_HOLD, S.SHIPPED, "needs held_from"),
        (S.APPROVED, S.SUBMITTED, "only for an order on hold"),
        ("teleported", "", "not an order status"),
    ],
)
def test_a_state_the_engine_could_not_produce_is_refused(status, held_from, refusal):
    with pytest.raises(ValueError, match=refusal):
        make_order(status=status, held_from=held_from)


@pytest.mark.django_db
def test_an_order_set_beyond_allocation_holds_real_reservations():
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP)

    assert order.status == S.READY_TO_SHIP
    assert order.allocation_status == "allocated"
    assert [line.quantity_allocated for line in order.lines.order_by("position")] == [3, 2]
    held = {
        (level.product_id, level.reserved, level.on_hand)
        for level in StockLevel.objects.filter(warehouse=factory_warehouse())
    }
    assert {(reserved, on_hand) for _p, reserved, on_hand in held} == {(3, 3), (2, 2)}
    assert stock_drift() == []
