import datetime as dt
import itertools

import pytest
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, ValidationFailed
from logistics.models import Shipment, ShipmentEvent, TrackingEvent
from logistics.services import (
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_pack,
    tracking_event_add,
)
from logistics.states import ShipmentStatus
from logistics.tests.services.test_shipment_transitions import EXPECTED
from orders.models import OrderEvent
from orders.services import order_hold
from orders.states import OrderStatus
from orders.tests.factories import make_order

H = ShipmentStatus
S = OrderStatus
PAYLOAD_KEYS = {"shipment_id", "number", "order_id", "customer_id", "status"}


def _lines(order) -> list[int]:
    return list(order.lines.order_by("position").values_list("pk", flat=True))


def _shipped(order) -> list[int]:
    return list(order.lines.order_by("position").values_list("quantity_shipped", flat=True))


def _packed(order, lines=None) -> Shipment:
    shipment = shipment_create(order_id=order.pk, lines=lines)
    return shipment_pack(shipment_id=shipment.pk)


@pytest.mark.django_db
def test_partial_shipments_move_the_order_partially_shipped_then_shipped_then_delivered(carrier):
    # given an order of 3 + 2 units split into two shipments
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP)
    first, second = _lines(order)
    one = _packed(order, lines=[(first, 2)])
    two = _packed(order)

    # when the first leaves, the order is partially shipped
    shipment_dispatch(shipment_id=one.pk, tracking_number="SF100", carrier_id=carrier.pk)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
    assert _shipped(order) == [2, 0]

    # when the second leaves, it is shipped
    shipment_dispatch(shipment_id=two.pk, tracking_number="SF200")
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert _shipped(order) == [3, 2]

    # when only one arrives, it stays shipped; when both have, it is delivered
    shipment_deliver(shipment_id=one.pk)
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    shipment_deliver(shipment_id=two.pk)
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert order.shipped_at
    assert order.delivered_at

    kinds = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", flat=True))
    assert kinds[-5:] == [
        "order.lines_shipped",
        "order.partially_shipped",
        "order.lines_shipped",
        "order.shipped",
        "order.delivered",
    ]
    shipment_kinds = list(
        ShipmentEvent.objects.filter(shipment=one).order_by("id").values_list("kind", flat=True)
    )
    assert shipment_kinds == [
        "shipment.created",
        "shipment.packed",
        "shipment.dispatched",
        "shipment.delivered",
    ]


@pytest.mark.django_db
def test_a_single_shipment_of_everything_ships_the_order():
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP)
    shipment = _packed(order)

    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")

    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert not OrderEvent.objects.filter(order=order, kind="order.partially_shipped").exists()


@pytest.mark.django_db
def test_dispatch_stamps_tracking_and_announces(carrier, emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipment_dispatch(
            shipment_id=shipment.pk, tracking_number=" SF123 ", carrier_id=carrier.pk
        )

    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number, shipment.carrier) == (H.IN_TRANSIT, "SF123", carrier)
    assert shipment.shipped_at is not None
    assert shipment.packed_at is not None
    dispatched = [payload for name, payload in emitted if name == "shipment.dispatched"]
    assert dispatched == [
        {
            "shipment_id": shipment.pk,
            "number": shipment.number,
            "order_id": order.pk,
            "customer_id": order.customer_id,
            "status": H.IN_TRANSIT,
        }
    ]
    assert "order.shipped" in [name for name, _ in emitted]


@pytest.mark.django_db
def test_dispatch_of_a_shipment_in_transit_is_a_noop():
    order = make_order(quantities=[2], status=S.READY_TO_SHIP)
    shipment = _packed(order)
    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")
    events_before = (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count())

    again = shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")

    assert again.status == H.IN_TRANSIT
    assert _shipped(order) == [2]
    assert (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count()) == events_before


@pytest.mark.django_db
def test_dispatch_before_packing_is_refused_and_writes_nothing(emitted, django_capture_on_commit_callbacks):
    # given a pending shipment
    order = make_order(quantities=[2], status=S.READY_TO_SHIP)
    shipment = shipment_create(order_id=order.pk)
    events_before = (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count())

    # when it is dispatched unpacked
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")

    # then nothing moved: no event, no tracking number, nothing shipped, nothing announced
    assert refused.value.code == "invalid_transition"
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.tracking_number, shipment.shipped_at) == (H.PENDING, "", None)
    assert (order.status, _shipped(order)) == (S.READY_TO_SHIP, [0])
    assert (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count()) == events_before
    assert emitted == []


@pytest.mark.django_db
def test_dispatch_for_an_order_on_hold_is_refused_and_rolled_back(carrier):
    # given a packed shipment whose order was put on hold meanwhile
    order = make_order(quantities=[2], status=S.READY_TO_SHIP)
    shipment = _packed(order)
    order_hold(order_id=order.pk, reason="address check")
    events_before = (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count())

    # when it is dispatched
    with pytest.raises(InvalidTransition):
        shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1", carrier_id=carrier.pk)

    # then the shipment's own move was rolled back with the order's refusal
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number, shipment.carrier_id) == (H.PACKED, "", None)
    assert _shipped(order) == [0]
    assert (ShipmentEvent.objects.count(), OrderEvent.objects.filter(order=order).count()) == events_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tracking_number", "carrier_id"), [("", None), ("  ", None), ("X" * 65, None), ("SF1", 999999)]
)
def test_dispatch_input_is_validated(tracking_number, carrier_id):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)

    with pytest.raises(ValidationFailed):
        shipment_dispatch(shipment_id=shipment.pk, tracking_number=tracking_number, carrier_id=carrier_id)

    shipment.refresh_from_db()
    assert shipment.status == H.PACKED


@pytest.mark.django_db
def test_asking_for_the_current_status_is_a_noop():
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)
    events_before = ShipmentEvent.objects.filter(shipment=shipment).count()

    shipment_pack(shipment_id=shipment.pk)

    assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before


SERVICES = {
    H.PACKED: lambda pk: shipment_pack(shipment_id=pk),
    H.CANCELLED: lambda pk: shipment_cancel(shipment_id=pk, reason="customer asked"),
    H.DELIVERED: lambda pk: shipment_deliver(shipment_id=pk),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t in itertools.product(H.values, SERVICES) if c != t]
)
def test_transitions_follow_the_table(current, target):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = shipment_create(order_id=order.pk)
    Shipment.objects.filter(pk=shipment.pk).update(status=current)
    events_before = ShipmentEvent.objects.filter(shipment=shipment).count()

    if target in EXPECTED[current]:
        assert SERVICES[target](shipment.pk).status == target
        event = ShipmentEvent.objects.filter(shipment=shipment).order_by("-id").first()
        assert (event.from_status, event.to_status) == (current, target)
    else:
        with pytest.raises(Conflict):
            SERVICES[target](shipment.pk)
        shipment.refresh_from_db()
        assert shipment.status == current
        assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before


@pytest.mark.django_db
def test_cancel_needs_a_reason():
    order = make_order(status=S.READY_TO_SHIP)
    shipment = shipment_create(order_id=order.pk)

    with pytest.raises(ValidationFailed):
        shipment_cancel(shipment_id=shipment.pk, reason=" ")

    shipment.refresh_from_db()
    assert shipment.status == H.PENDING


@pytest.mark.django_db
def test_delivery_ignores_cancelled_shipments():
    # given an order shipped in one shipment after an earlier one was cancelled
    order = make_order(quantities=[2], status=S.READY_TO_SHIP)
    cancelled = shipment_create(order_id=order.pk)
    shipment_cancel(shipment_id=cancelled.pk, reason="damaged box")
    shipment = _packed(order)
    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF9")

    shipment_deliver(shipment_id=shipment.pk)

    order.refresh_from_db()
    assert order.status == S.DELIVERED


@pytest.mark.django_db
def test_tracking_update_is_recorded_once_and_announced(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)
    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")
    at = timezone.now() - dt.timedelta(hours=1)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = tracking_event_add(
            shipment_id=shipment.pk,
            status="arrived_hub",
            location="Guangzhou",
            description="Arrived at sorting centre",
            occurred_at=at,
        )
        repeat = tracking_event_add(
            shipment_id=shipment.pk,
            status="arrived_hub",
            location="Guangzhou",
            description="Arrived at sorting centre",
            occurred_at=at,
        )

    assert first.pk == repeat.pk
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert [(name, set(payload)) for name, payload in emitted] == [
        ("shipment.tracking_updated", PAYLOAD_KEYS)
    ]
    assert emitted[0][1]["status"] == H.IN_TRANSIT


@pytest.mark.django_db
def test_tracking_before_dispatch_is_refused(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        tracking_event_add(
            shipment_id=shipment.pk,
            status="picked_up",
            location="",
            description="",
            occurred_at=timezone.now(),
        )

    assert refused.value.code == "shipment_not_dispatched"
    assert not TrackingEvent.objects.exists()
    assert emitted == []


@pytest.mark.django_db
def test_delivery_is_announced(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.READY_TO_SHIP)
    shipment = _packed(order)
    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")
    emitted.clear()

    with django_capture_on_commit_callbacks(execute=True):
        shipment_deliver(shipment_id=shipment.pk)

    names = [name for name, _ in emitted]
    assert names[0] == "shipment.delivered"
    assert "order.delivered" in names
    assert emitted[0][1] == {
        "shipment_id": shipment.pk,
        "number": shipment.number,
        "order_id": order.pk,
        "customer_id": order.customer_id,
        "status": H.DELIVERED,
    }


@pytest.mark.django_db
def test_delivering_all_shipments_of_a_partly_shipped_order_leaves_it_partially_shipped():
    # given an order of 3 units of which only 2 were ever put in a shipment
    order = make_order(quantities=[3], status=S.READY_TO_SHIP)
    shipment = _packed(order, lines=[(_lines(order)[0], 2)])
    shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")

    # when that shipment arrives
    shipment_deliver(shipment_id=shipment.pk)

    # then the order still waits for its last unit
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
