"""Every allowed and every forbidden transition of the order lifecycle, from the one table."""

import itertools

import pytest

from orders.errors import InvalidTransition, StatusSetByFulfilment
from orders.models import Order, OrderEvent
from orders.services import _transition, order_release_hold, order_transition
from orders.states import ALLOWED, FULFILMENT_ONLY, OrderStatus, allowed_targets
from orders.tests.factories import make_order

S = OrderStatus
PAIRS = list(itertools.product(S.values, S.values))
REASON = "because"


def _order_in(status: str, *, held_from: str = "") -> Order:
    order = make_order()
    Order.objects.filter(pk=order.pk).update(status=status, status_before_hold=held_from)
    order.refresh_from_db()
    return order


def _expected(current, target, held_from):
    return target in allowed_targets(current, status_before_hold=held_from)


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p[0] != p[1]])
def test_transition_follows_the_table(current, target):
    held_from = S.APPROVED if current == S.ON_HOLD else ""
    order = _order_in(current, held_from=held_from)
    events_before = OrderEvent.objects.filter(order=order).count()
    version_before = order.version

    # The table's gate itself; order_transition adds the rules of who may ask (tested below).
    if _expected(current, target, held_from):
        result, _changed = _transition(order.pk, target, reason=REASON)
        assert result.status == target
        event = OrderEvent.objects.filter(order=order).order_by("-id").first()
        assert (event.from_status, event.to_status) == (current, target)
        assert result.version == version_before + 1
    else:
        with pytest.raises(InvalidTransition):
            _transition(order.pk, target, reason=REASON)
        order.refresh_from_db()
        assert order.status == current
        assert order.version == version_before
        assert OrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("target", sorted(FULFILMENT_ONLY))
def test_shipping_statuses_cannot_be_set_by_hand(target):
    order = _order_in(S.READY_TO_SHIP if target != S.DELIVERED else S.SHIPPED)
    events_before = order.events.count()
    with pytest.raises(StatusSetByFulfilment):
        order_transition(order_id=order.pk, to=target)
    order.refresh_from_db()
    assert order.status != target
    assert order.events.count() == events_before


@pytest.mark.django_db
def test_same_status_is_a_noop():
    order = _order_in(S.APPROVED)
    events_before = order.events.count()
    order_transition(order_id=order.pk, to=S.APPROVED)
    assert order.events.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("held_from", sorted(ALLOWED[S.ON_HOLD] - {S.CANCELLED}))
def test_release_hold_returns_to_the_held_status(held_from):
    order = _order_in(held_from)
    order_transition(order_id=order.pk, to=S.ON_HOLD, reason="credit check")
    released = order_release_hold(order_id=order.pk)
    assert released.status == held_from
    assert released.status_before_hold == ""
    assert order.events.filter(kind="order.released").exists()


@pytest.mark.django_db
def test_release_hold_on_an_order_not_on_hold_is_refused():
    order = _order_in(S.APPROVED)
    with pytest.raises(InvalidTransition):
        order_release_hold(order_id=order.pk)


@pytest.mark.django_db
def test_terminal_statuses_have_no_way_out():
    for status in (S.COMPLETED, S.CANCELLED):
        assert ALLOWED[status] == set()
