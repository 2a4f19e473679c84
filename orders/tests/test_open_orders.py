"""The one definition of an open order (orders.states.OPEN); the rescoring sweep walks only open orders."""

import pytest

from orders.models import Order
from orders.selectors import order_list_open
from orders.services import order_score_priority
from orders.states import OPEN, OrderStatus
from orders.tests.factories import make_order

S = OrderStatus
CLOSED = {"completed", "cancelled", "rejected"}


def test_every_status_but_completed_cancelled_and_rejected_is_open():
    assert set(S.values) - OPEN == CLOSED


@pytest.mark.django_db
def test_the_open_list_holds_drafts_and_orders_on_their_way_but_no_closed_order():
    for status in S.values:
        make_order(status=status, held_from=S.APPROVED if status == S.ON_HOLD else "")

    listed = set(order_list_open().values_list("status", flat=True))

    assert listed == set(S.values) - CLOSED


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(CLOSED))
def test_a_closed_order_is_not_scored(status):
    order = make_order(status=status)
    Order.objects.filter(pk=order.pk).update(priority=0)
    events_before = order.events.count()

    assert order_score_priority(order_id=order.pk) is None

    order.refresh_from_db()
    assert (order.priority, order.events.count()) == (0, events_before)
