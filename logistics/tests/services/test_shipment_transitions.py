"""Every allowed and every forbidden move of the shipment lifecycle, against a table written out here.

EXPECTED is deliberately not derived from logistics.states: a change to the lifecycle must change
this test too.
"""

import itertools

import pytest

from core.errors import InvalidTransition
from core.lifecycle import transition
from logistics.models import Shipment, ShipmentEvent
from logistics.services import shipment_create
from logistics.states import LIFECYCLE, ShipmentStatus
from orders.states import OrderStatus
from orders.tests.factories import make_order

EXPECTED = {
    "pending": {"packed", "cancelled"},
    "packed": {"in_transit", "cancelled"},
    "in_transit": {"delivered", "exception"},
    "exception": {"in_transit", "delivered", "returned"},
    "delivered": {"returned"},
    "returned": set(),
    "cancelled": set(),
}
# Leaving the warehouse is a dispatch; going back in transit after an exception is not.
EXPECTED_KIND = {
    ("packed", "in_transit"): "shipment.dispatched",
    ("exception", "in_transit"): "shipment.in_transit",
}


def test_the_expected_table_covers_every_status():
    assert set(EXPECTED) == set(ShipmentStatus.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t in itertools.product(sorted(EXPECTED), repeat=2) if c != t]
)
def test_transition_follows_the_table(current, target):
    # given a shipment forced into `current`
    shipment = shipment_create(order_id=make_order(status=OrderStatus.READY_TO_SHIP).pk)
    Shipment.objects.filter(pk=shipment.pk).update(status=current)
    events_before = ShipmentEvent.objects.filter(shipment=shipment).count()

    if target in EXPECTED[current]:
        # when the engine moves it, then it moved with its timeline entry
        result, changed = transition(LIFECYCLE, shipment.pk, target, reason="test")
        assert (result.status, changed) == (target, True)
        event = ShipmentEvent.objects.filter(shipment=shipment).order_by("-id").first()
        kind = EXPECTED_KIND.get((current, target), f"shipment.{target}")
        assert (event.kind, event.from_status, event.to_status) == (kind, current, target)
    else:
        # when the engine is asked, then it refuses and nothing was written
        with pytest.raises(InvalidTransition) as refused:
            transition(LIFECYCLE, shipment.pk, target, reason="test")
        assert refused.value.extra == {"shipment": shipment.number, "status": current, "target": target}
        shipment.refresh_from_db()
        assert shipment.status == current
        assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before
