"""Dispatch consumes the order's reservations in the shipment's warehouse (issue #8).

Goods leave the warehouse allocation reserved them in: on hand and reserved both drop there through
inventory's ledger (movement kind "shipment"). A warehouse where the line is not reserved is
refused; an order allocated before the ledger existed ships only what the warehouse has available.
Every scenario ends with no drift and each order's allocation rows equal to its ledger reservations.
"""

import pytest

from core.errors import ValidationFailed
from inventory.errors import InsufficientStock
from inventory.models import MovementKind, StockMovement
from inventory.tests.factories import ProductFactory
from logistics.models import Shipment
from logistics.services import shipment_create, shipment_dispatch, shipment_pack
from logistics.states import ShipmentStatus
from orders.models import AllocationStatus, LineAllocation
from orders.selectors import order_allocation_view
from orders.services import order_transition
from orders.services.allocation import order_allocate, orders_waiting_for_stock
from orders.states import OrderStatus
from orders.tests.factories import make_order
from orders.tests.services.test_allocation import (
    BEIJING,
    GUANGZHOU,
    SHANGHAI,
    approved_order,
    assert_books_balance,
    level,
    receive,
    warehouse,
)

S = OrderStatus
H = ShipmentStatus


@pytest.fixture
def network(db):
    return {"GZ": warehouse("GZ", GUANGZHOU), "SH": warehouse("SH", SHANGHAI), "BJ": warehouse("BJ", BEIJING)}


def _ready(order):
    order_allocate(order_id=order.pk)
    order_transition(order_id=order.pk, to=S.READY_TO_SHIP)
    order.refresh_from_db()
    return order


def _dispatch(shipment, carrier):
    shipment_pack(shipment_id=shipment.pk)
    return shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF123", carrier_id=carrier.pk)


@pytest.mark.django_db
def test_dispatch_consumes_the_reservation_in_the_allocated_warehouse(network, carrier):
    # given an order for 3 trucks and 2 cabs, reserved in BJ (nearest); SH holds the same stock
    truck, cab = ProductFactory(), ProductFactory()
    for code in ("BJ", "SH"):
        receive(truck, network[code], 10)
        receive(cab, network[code], 10)
    order = _ready(approved_order([truck, cab], [3, 2], at=BEIJING))

    # when a shipment is created without naming a warehouse, packed and dispatched
    shipment = shipment_create(order_id=order.pk, carrier=carrier)
    assert shipment.warehouse == network["BJ"]  # inferred from the allocation
    _dispatch(shipment, carrier)

    # then the goods left BJ: on hand and reserved both dropped there, SH is untouched
    assert level(truck, network["BJ"]) == (7, 0)
    assert level(cab, network["BJ"]) == (8, 0)
    assert level(truck, network["SH"]) == (10, 0)
    moves = StockMovement.objects.filter(kind=MovementKind.SHIPMENT, document_id=str(order.pk))
    assert sorted((m.product_id, m.warehouse_id, m.on_hand_delta, m.reserved_delta) for m in moves) == sorted(
        [(truck.pk, network["BJ"].pk, -3, -3), (cab.pk, network["BJ"].pk, -2, -2)]
    )
    assert {(r.quantity, r.quantity_shipped) for r in LineAllocation.objects.filter(order=order)} == {
        (3, 3),
        (2, 2),
    }
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_split_order_ships_once_per_warehouse(network, carrier):
    # given trucks reserved in BJ and cabs in SH (no single warehouse has both)
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["BJ"], 5)
    receive(cab, network["SH"], 5)
    order = _ready(approved_order([truck, cab], [3, 2], at=BEIJING))
    truck_line, cab_line = order.lines.order_by("position")

    # a shipment of everything cannot be created from two warehouses at once
    with pytest.raises(ValidationFailed) as refused:
        shipment_create(order_id=order.pk, carrier=carrier)
    assert "several warehouses" in str(refused.value.fields["warehouse"][0])

    # one shipment per warehouse: each leaves from where its line is reserved
    first = shipment_create(order_id=order.pk, lines=[(truck_line.pk, 3)], carrier=carrier)
    assert first.warehouse == network["BJ"]
    _dispatch(first, carrier)
    second = shipment_create(order_id=order.pk, carrier=carrier)
    assert second.warehouse == network["SH"]
    _dispatch(second, carrier)

    assert level(truck, network["BJ"]) == (2, 0)
    assert level(cab, network["SH"]) == (3, 0)
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_shipment_from_a_warehouse_where_the_line_is_not_reserved_is_refused(network, carrier):
    # given 3 trucks reserved in BJ, and trucks available in SH too
    truck = ProductFactory()
    receive(truck, network["BJ"], 5)
    receive(truck, network["SH"], 5)
    order = _ready(approved_order([truck], [3], at=BEIJING))
    line = order.lines.get()
    shipment = shipment_create(
        order_id=order.pk, lines=[(line.pk, 3)], warehouse=network["SH"], carrier=carrier
    )
    shipment_pack(shipment_id=shipment.pk)

    # when it is dispatched from SH
    with pytest.raises(ValidationFailed) as refused:
        shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF1")

    # then the error names where the line is reserved, and nothing moved
    assert refused.value.fields == {f"quantities.{line.pk}": ["Reserved in BJ: ship it from there."]}
    shipment.refresh_from_db()
    assert shipment.status == H.PACKED
    assert level(truck, network["BJ"]) == (5, 3)
    assert level(truck, network["SH"]) == (5, 0)
    assert not StockMovement.objects.filter(kind=MovementKind.SHIPMENT).exists()
    order.refresh_from_db()
    assert order.status == S.READY_TO_SHIP
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_default_shipment_from_a_warehouse_without_the_reservation_says_where_it_is(network, carrier):
    truck = ProductFactory()
    receive(truck, network["BJ"], 5)
    order = _ready(approved_order([truck], [3], at=BEIJING))

    with pytest.raises(ValidationFailed) as refused:
        shipment_create(order_id=order.pk, warehouse=network["SH"], carrier=carrier)

    assert "BJ" in str(refused.value.fields)


@pytest.mark.django_db
def test_shipping_a_backordered_line_complete_clears_its_recorded_backorder(network, carrier):
    # given an order of 5 trucks allocated with 3 (2 backordered), and 2 more received in BJ since
    truck = ProductFactory()
    receive(truck, network["BJ"], 3)
    order = _ready(approved_order([truck], [5], at=BEIJING))
    assert order.allocation_status == AllocationStatus.PARTIAL
    receive(truck, network["BJ"], 2)
    line = order.lines.get()

    # when all 5 ship from BJ (the 2 are reserved from what BJ has available on the way out)
    _dispatch(shipment_create(order_id=order.pk, lines=[(line.pk, 5)], carrier=carrier), carrier)

    # then nothing is recorded as waiting any more
    assert level(truck, network["BJ"]) == (0, 0)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.SHIPPED, AllocationStatus.ALLOCATED)
    assert order.allocation["lines"][str(line.pk)]["backordered"] == 0
    view = order_allocation_view(order=order)
    assert view.backordered == 0
    assert order.allocation["reason"] == "single_warehouse_nearest"
    assert view.lines[0].explanation.startswith("5 from BJ (")
    assert orders_waiting_for_stock() == []
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_order_allocated_before_the_ledger_ships_what_the_warehouse_has(network, carrier):
    # given an order ready to ship with no reservations (allocated before the ledger), 5 trucks in GZ
    truck = ProductFactory()
    receive(truck, network["GZ"], 5)
    order = make_order(products=[truck], quantities=[3], status=S.READY_TO_SHIP, stock=False)
    assert not LineAllocation.objects.filter(order=order).exists()

    # when a shipment from GZ is dispatched
    shipment = shipment_create(order_id=order.pk, warehouse=network["GZ"], carrier=carrier)
    _dispatch(shipment, carrier)

    # then it reserved what was available there and shipped it
    assert level(truck, network["GZ"]) == (2, 0)
    kinds = list(
        StockMovement.objects.filter(document_id=str(order.pk)).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [MovementKind.RESERVATION, MovementKind.SHIPMENT]
    row = LineAllocation.objects.get(order=order)
    assert (row.warehouse, row.quantity, row.quantity_shipped) == (network["GZ"], 3, 3)
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_order_allocated_before_the_ledger_cannot_ship_stock_that_is_not_there(network, carrier):
    # given the same order, with 2 trucks in GZ of which 1 is promised to another order
    truck = ProductFactory()
    receive(truck, network["GZ"], 2)
    other = approved_order([truck], [1], at=GUANGZHOU)
    order_allocate(order_id=other.pk)
    order = make_order(products=[truck], quantities=[3], status=S.READY_TO_SHIP, stock=False)
    shipment = shipment_create(order_id=order.pk, warehouse=network["GZ"], carrier=carrier)
    shipment_pack(shipment_id=shipment.pk)

    # when it is dispatched, it is refused and nothing is written
    with pytest.raises(InsufficientStock):
        shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF2")

    assert Shipment.objects.get(pk=shipment.pk).status == H.PACKED
    assert level(truck, network["GZ"]) == (2, 1)
    assert not StockMovement.objects.filter(document_id=str(order.pk)).exists()
    assert not LineAllocation.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.status == S.READY_TO_SHIP
    assert list(order.lines.values_list("quantity_shipped", flat=True)) == [0]
    assert_books_balance(order, other)


@pytest.mark.django_db
def test_a_stock_line_without_a_warehouse_is_refused(network, carrier):
    truck = ProductFactory()
    receive(truck, network["GZ"], 5)
    order = make_order(products=[truck], quantities=[1], status=S.READY_TO_SHIP, stock=False)
    shipment = shipment_create(order_id=order.pk, carrier=carrier)  # nothing reserved: no warehouse
    assert shipment.warehouse is None
    shipment_pack(shipment_id=shipment.pk)

    with pytest.raises(ValidationFailed) as refused:
        shipment_dispatch(shipment_id=shipment.pk, tracking_number="SF3")

    assert list(refused.value.fields) == ["warehouse"]
    assert level(truck, network["GZ"]) == (5, 0)
    assert_books_balance(order)
