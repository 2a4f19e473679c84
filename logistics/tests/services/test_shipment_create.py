import re

import pytest

from core.errors import Conflict, ValidationFailed
from core.models import Sequence
from logistics.models import Shipment, ShipmentEvent, ShipmentLine
from logistics.services import shipment_cancel, shipment_create
from logistics.states import ShipmentStatus
from orders.states import OrderStatus
from orders.tests.factories import factory_warehouse, make_order

H = ShipmentStatus


def _lines(order) -> list[int]:
    return list(order.lines.order_by("position").values_list("pk", flat=True))


def _shipped_quantities(shipment) -> dict[int, int]:
    return dict(shipment.lines.values_list("order_line_id", "quantity"))


@pytest.mark.django_db
def test_by_default_a_shipment_takes_everything_left(carrier):
    # given an order ready to ship with 3 + 2 units
    order = make_order(quantities=[3, 2], status=OrderStatus.READY_TO_SHIP)
    first, second = _lines(order)
    warehouse = factory_warehouse()  # where allocation reserved them

    # when a shipment is created without lines
    shipment = shipment_create(order_id=order.pk, warehouse=warehouse, carrier=carrier)

    # then it is pending, numbered, and holds every unit
    assert shipment.status == H.PENDING
    assert re.fullmatch(r"SHP-\d{4}-\d{6}", shipment.number)
    assert (shipment.warehouse, shipment.carrier) == (warehouse, carrier)
    assert _shipped_quantities(shipment) == {first: 3, second: 2}
    event = ShipmentEvent.objects.get(shipment=shipment)
    assert (event.kind, event.to_status) == ("shipment.created", H.PENDING)


@pytest.mark.django_db
def test_numbers_follow_one_another():
    order = make_order(quantities=[3, 2], status=OrderStatus.READY_TO_SHIP)
    first, second = _lines(order)
    a = shipment_create(order_id=order.pk, lines=[(first, 1)])
    b = shipment_create(order_id=order.pk, lines=[(second, 1)])
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


@pytest.mark.django_db
def test_pending_shipments_count_against_what_is_left():
    # given a pending shipment with 2 of the 3 units of the first line
    order = make_order(quantities=[3, 2], status=OrderStatus.READY_TO_SHIP)
    first, second = _lines(order)
    shipment_create(order_id=order.pk, lines=[(first, 2)])

    # when a second shipment takes the rest
    rest = shipment_create(order_id=order.pk)

    # then it gets only what the first one left
    assert _shipped_quantities(rest) == {first: 1, second: 2}


@pytest.mark.django_db
def test_a_cancelled_shipment_frees_its_quantities():
    order = make_order(quantities=[3], status=OrderStatus.READY_TO_SHIP)
    cancelled = shipment_create(order_id=order.pk)
    shipment_cancel(shipment_id=cancelled.pk, reason="wrong warehouse")

    again = shipment_create(order_id=order.pk)

    assert _shipped_quantities(again) == {_lines(order)[0]: 3}


def _snapshot(order) -> tuple:
    return (
        Shipment.objects.filter(order=order).count(),
        ShipmentLine.objects.filter(order_line__order=order).count(),
        ShipmentEvent.objects.filter(shipment__order=order).count(),
        sorted(Sequence.objects.values_list("name", "value")),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("requested", "field"),
    [
        (lambda first, second: [(first, 4)], "lines[0].quantity"),
        (lambda first, second: [(second, 1), (first, 3), (first, 1)], "lines[2].order_line_id"),
        (lambda first, second: [(first, 0)], "lines[0].quantity"),
        (lambda first, second: [(first, -1)], "lines[0].quantity"),
        (lambda first, second: [(second + 1000, 1)], "lines[0].order_line_id"),
        (lambda first, second: [], "lines"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(requested, field):
    # given an order with 3 + 2 units, one unit of the first line already in a shipment
    order = make_order(quantities=[3, 2], status=OrderStatus.READY_TO_SHIP)
    first, second = _lines(order)
    shipment_create(order_id=order.pk, lines=[(first, 1)])
    before = _snapshot(order)

    # when more than is left, a line twice, a non-positive quantity or a foreign line is asked for
    with pytest.raises(ValidationFailed) as refused:
        shipment_create(order_id=order.pk, lines=requested(first, second))

    # then it is refused and nothing was written, not even a number taken
    assert field in refused.value.fields
    assert _snapshot(order) == before


@pytest.mark.django_db
def test_over_shipping_by_one_unit_is_refused():
    order = make_order(quantities=[3, 2], status=OrderStatus.READY_TO_SHIP)
    first, second = _lines(order)
    shipment_create(order_id=order.pk, lines=[(first, 2), (second, 2)])
    before = _snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        shipment_create(order_id=order.pk, lines=[(first, 2)])

    assert "lines[0].quantity" in refused.value.fields
    assert _snapshot(order) == before


@pytest.mark.django_db
def test_nothing_left_to_ship_is_refused():
    order = make_order(status=OrderStatus.READY_TO_SHIP)
    shipment_create(order_id=order.pk)
    before = _snapshot(order)

    with pytest.raises(ValidationFailed):
        shipment_create(order_id=order.pk)

    assert _snapshot(order) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [
        OrderStatus.APPROVED,
        OrderStatus.ALLOCATED,
        OrderStatus.ON_HOLD,
        OrderStatus.SHIPPED,
        OrderStatus.CANCELLED,
    ],
)
def test_an_order_that_is_not_ready_to_ship_is_refused(status):
    held_from = OrderStatus.READY_TO_SHIP if status == OrderStatus.ON_HOLD else ""
    order = make_order(status=status, held_from=held_from)
    before = _snapshot(order)

    with pytest.raises(Conflict) as refused:
        shipment_create(order_id=order.pk)

    assert refused.value.code == "order_not_shippable"
    assert _snapshot(order) == before


@pytest.mark.django_db
def test_an_inactive_carrier_is_refused(carrier):
    order = make_order(status=OrderStatus.READY_TO_SHIP)
    carrier.is_active = False
    carrier.save()
    before = _snapshot(order)

    with pytest.raises(ValidationFailed):
        shipment_create(order_id=order.pk, carrier=carrier)

    assert _snapshot(order) == before
