"""Every allowed and every forbidden move of the order lifecycle, against a table written out here.

EXPECTED is deliberately not derived from orders.states: a change to the lifecycle must change this
test too.
"""

import itertools

import pytest

from core.errors import InvalidTransition
from core.lifecycle import transition
from inventory.tests.factories import ProductFactory
from orders.errors import BuildsNotReady, StatusSetByFulfilment, StatusSetByProduction
from orders.models import OrderEvent
from orders.services import order_release_hold, order_transition
from orders.states import ALLOWED, FULFILMENT_ONLY, LIFECYCLE, OrderStatus
from orders.tests.factories import make_order

S = OrderStatus
REASON = "because"

EXPECTED = {
    "draft": {"submitted", "cancelled"},
    "submitted": {"in_review", "approved", "rejected", "on_hold", "cancelled", "draft"},
    "in_review": {"approved", "rejected", "on_hold", "cancelled", "draft"},
    "approved": {"allocated", "in_production", "on_hold", "cancelled", "in_review"},
    "allocated": {"in_production", "ready_to_ship", "on_hold", "cancelled", "in_review"},
    "in_production": {"allocated", "ready_to_ship", "on_hold", "cancelled"},
    "ready_to_ship": {"partially_shipped", "shipped", "on_hold"},
    "partially_shipped": {"shipped"},
    "shipped": {"delivered"},
    "delivered": {"completed"},
    "completed": set(),
    "rejected": {"draft"},
    "cancelled": set(),
}
# On hold, the way out depends on where the order was held from: back there, or cancelled if that
# status could have been cancelled. Statuses missing here cannot be put on hold.
EXPECTED_FROM_HOLD = {
    "submitted": {"submitted", "cancelled"},
    "in_review": {"in_review", "cancelled"},
    "approved": {"approved", "cancelled"},
    "allocated": {"allocated", "cancelled"},
    "in_production": {"in_production", "cancelled"},
    "ready_to_ship": {"ready_to_ship"},
}
STATUSES = sorted(EXPECTED) + ["on_hold"]
CASES = [(current, "", target) for current, target in itertools.product(sorted(EXPECTED), STATUSES)] + [
    ("on_hold", held_from, target)
    for held_from, target in itertools.product(sorted(EXPECTED_FROM_HOLD), STATUSES)
]


def test_the_expected_table_covers_every_status():
    assert set(STATUSES) == set(S.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "held_from", "target"), [c for c in CASES if c[0] != c[2]])
def test_transition_follows_the_table(current, held_from, target):
    # given an order forced into `current` (held from `held_from`)
    order = make_order(status=current, held_from=held_from)
    events_before = OrderEvent.objects.filter(order=order).count()
    version_before = order.version
    allowed = EXPECTED_FROM_HOLD[held_from] if current == "on_hold" else EXPECTED[current]

    # when the engine is asked to move it (the table's gate; order_transition adds who may ask)
    if target in allowed:
        result, changed = transition(LIFECYCLE, order.pk, target, reason=REASON)

        # then it moved, with its timeline entry and a new version
        assert (result.status, changed) == (target, True)
        event = OrderEvent.objects.filter(order=order).order_by("-id").first()
        assert (event.from_status, event.to_status, event.note) == (current, target, REASON)
        assert result.version == version_before + 1
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(LIFECYCLE, order.pk, target, reason=REASON)

        # then nothing was written
        assert refused.value.extra == {"order": order.number, "status": current, "target": target}
        order.refresh_from_db()
        assert (order.status, order.version) == (current, version_before)
        assert OrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("target", sorted(FULFILMENT_ONLY))
def test_shipping_statuses_cannot_be_set_by_hand(target):
    order = make_order(status=S.READY_TO_SHIP if target != S.DELIVERED else S.SHIPPED)
    events_before = order.events.count()
    with pytest.raises(StatusSetByFulfilment):
        order_transition(order_id=order.pk, to=target)
    order.refresh_from_db()
    assert order.status != target
    assert order.events.count() == events_before


@pytest.mark.django_db
def test_in_production_cannot_be_set_by_hand():
    order = make_order(status=S.APPROVED)
    events_before = order.events.count()
    with pytest.raises(StatusSetByProduction):
        order_transition(order_id=order.pk, to=S.IN_PRODUCTION)
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert order.events.count() == events_before


@pytest.mark.django_db
def test_an_order_with_lines_still_being_built_cannot_be_made_ready_to_ship():
    built = ProductFactory(made_to_order=True)
    order = make_order(products=[ProductFactory(), built], quantities=[1, 1], status=S.ALLOCATED)
    events_before = order.events.count()
    with pytest.raises(BuildsNotReady) as refused:
        order_transition(order_id=order.pk, to=S.READY_TO_SHIP)
    order.refresh_from_db()
    assert order.status == S.ALLOCATED
    assert order.events.count() == events_before
    assert refused.value.extra["lines"] == [f"2 {built.sku}"]


@pytest.mark.django_db
def test_same_status_is_a_noop():
    order = make_order(status=S.APPROVED)
    events_before = order.events.count()
    order_transition(order_id=order.pk, to=S.APPROVED)
    assert order.events.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("held_from", sorted(ALLOWED[S.ON_HOLD] - {S.CANCELLED}))
def test_release_hold_returns_to_the_held_status(held_from):
    order = make_order(status=held_from)
    order_transition(order_id=order.pk, to=S.ON_HOLD, reason="credit check")
    released = order_release_hold(order_id=order.pk)
    assert released.status == held_from
    assert released.status_before_hold == ""
    assert order.events.filter(kind="order.released").exists()


@pytest.mark.django_db
def test_release_hold_on_an_order_not_on_hold_is_refused():
    order = make_order(status=S.APPROVED)
    with pytest.raises(InvalidTransition):
        order_release_hold(order_id=order.pk)


@pytest.mark.django_db
def test_terminal_statuses_have_no_way_out():
    for status in (S.COMPLETED, S.CANCELLED):
        assert ALLOWED[status] == set()
