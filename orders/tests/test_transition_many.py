"""core.lifecycle.transition_many with the orders' lifecycle: each locked row moves as `transition` would
move it, with one write of each kind; a move the table forbids writes nothing."""

from collections import defaultdict

import pytest
from django.db import transaction

from core import events, outbox
from core.errors import InvalidTransition
from core.lifecycle import transition_many
from core.models import OutboxEvent
from orders.models import Order, OrderEvent
from orders.states import LIFECYCLE, OrderStatus
from orders.tests.factories import make_order

S = OrderStatus


@pytest.fixture
def heard(monkeypatch):
    """(name, payload) handed to listeners, in order; other apps' listeners are detached."""
    calls = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, *, event_id, **payload: calls.append((name, payload)))
    outbox.fast_path_reset()
    return calls


@pytest.mark.django_db
def test_transition_many_moves_each_row_as_transition_would(heard, django_capture_on_commit_callbacks):
    orders = [make_order(status=S.SUBMITTED) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = list(Order.objects.select_for_update().filter(pk__in=[o.pk for o in orders]).order_by("pk"))
        versions = {order.pk: order.version for order in locked}
        moved = transition_many(
            LIFECYCLE,
            locked,
            S.ON_HOLD,
            reason="stock count",
            data={locked[0].pk: {"why": "first"}},
            changes={locked[1].pk: {"notes": "second"}},
        )

    assert [order.pk for order in moved] == [order.pk for order in orders]
    for order in orders:
        order.refresh_from_db()
        assert (order.status, order.status_before_hold, order.version) == (
            S.ON_HOLD,
            S.SUBMITTED,
            versions[order.pk] + 1,
        )
        assert order.on_hold_at is not None
        entry = order.events.get(kind="order.on_hold")
        assert (entry.from_status, entry.to_status, entry.note) == (S.SUBMITTED, S.ON_HOLD, "stock count")
    assert orders[0].events.get(kind="order.on_hold").data == {"why": "first"}
    assert orders[1].notes == "second"
    assert [name for name, _payload in heard] == ["order.on_hold"] * 3
    assert [payload["order_id"] for _name, payload in heard] == [order.pk for order in orders]


@pytest.mark.django_db
def test_transition_many_refuses_a_move_the_table_forbids_and_writes_nothing(heard):
    fine, closed = make_order(status=S.SUBMITTED), make_order(status=S.CANCELLED)
    with transaction.atomic():
        rows = list(Order.objects.select_for_update().filter(pk__in=[fine.pk, closed.pk]).order_by("pk"))
        with pytest.raises(InvalidTransition):
            transition_many(LIFECYCLE, rows, S.ON_HOLD)

    fine.refresh_from_db()
    assert fine.status == S.SUBMITTED
    assert not OrderEvent.objects.filter(kind="order.on_hold").exists()
    assert not OutboxEvent.objects.filter(name="order.on_hold").exists()
