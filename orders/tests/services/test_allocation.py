"""Allocation of approved orders (issue #8): where stock is reserved, why, backorders, release.

Every scenario ends with the books balanced: no drift between balances and the ledger, and each
order's LineAllocation rows holding exactly what the ledger reserved for it (`assert_books_balance`).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from core import events
from core.models import OutboxEvent
from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.selectors import stock_drift
from inventory.services import stock_receive
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders import tasks
from orders.errors import StatusSetByAllocation
from orders.models import AllocationStatus, LineAllocation, Order, OrderLine
from orders.selectors import order_allocation_view
from orders.services import (
    order_approve,
    order_cancel,
    order_hold,
    order_record_shipped_quantities,
    order_transition,
)
from orders.services.allocation import (
    order_allocate,
    order_allocation_release,
    order_backorders_retry,
    order_release_cancelled,
    orders_waiting_for_stock,
)
from orders.states import OrderStatus
from orders.tests.factories import make_order

S = OrderStatus
A = AllocationStatus

# Three warehouses far apart, and destinations next to each of them.
GUANGZHOU = (Decimal("23.129100"), Decimal("113.264400"))
SHANGHAI = (Decimal("31.230400"), Decimal("121.473700"))
BEIJING = (Decimal("39.904200"), Decimal("116.407400"))


# --- helpers (imported by the concurrency and shipping tests) -------------------------------------


def ledger_reserved(order_id: int) -> int:
    """What the ledger says is still reserved for the order (all its reservation-moving movements)."""
    total = StockMovement.objects.filter(document_type="orders.order", document_id=str(order_id)).aggregate(
        total=Sum("reserved_delta")
    )["total"]
    return total or 0


def ledger_reserved_per_line(order_id: int) -> dict[int, int]:
    rows = (
        StockMovement.objects.filter(document_type="orders.order", document_id=str(order_id))
        .values("document_line_id")
        .annotate(total=Sum("reserved_delta"))
    )
    return {int(row["document_line_id"]): row["total"] for row in rows if row["total"]}


def held(order_id: int) -> int:
    return sum(
        row.quantity - row.quantity_shipped for row in LineAllocation.objects.filter(order_id=order_id)
    )


def held_per_line(order_id: int) -> dict[int, int]:
    per_line: dict[int, int] = {}
    for row in LineAllocation.objects.filter(order_id=order_id):
        if row.quantity > row.quantity_shipped:
            per_line[row.line_id] = per_line.get(row.line_id, 0) + row.quantity - row.quantity_shipped
    return per_line


def assert_books_balance(*orders) -> None:
    """No drift anywhere; each order's allocation rows hold what the ledger reserved for it."""
    assert stock_drift() == []
    for order in orders:
        assert held(order.pk) == ledger_reserved(order.pk)
        assert held_per_line(order.pk) == ledger_reserved_per_line(order.pk)
        for line in OrderLine.objects.filter(order_id=order.pk):
            rows = LineAllocation.objects.filter(line=line).aggregate(total=Sum("quantity"))["total"] or 0
            assert line.quantity_allocated == rows


def warehouse(code: str, where=None):
    lat, lon = where or (None, None)
    return WarehouseFactory(code=code, name=code, latitude=lat, longitude=lon)


def customer_at(where):
    customer = CustomerFactory()
    AddressFactory(customer=customer, latitude=where[0], longitude=where[1])
    return customer


def receive(product, wh, quantity: int) -> None:
    stock_receive(product_id=product.pk, warehouse_id=wh.pk, quantity=quantity)


def approved_order(products, quantities, *, at=BEIJING, accepts_partial=True, **kwargs):
    order = make_order(
        customer=customer_at(at), products=products, quantities=quantities, status=S.APPROVED, **kwargs
    )
    if not accepts_partial:
        Order.objects.filter(pk=order.pk).update(accepts_partial_shipments=False)
        order.refresh_from_db()
    return order


def placed(order) -> dict[tuple[str, str], int]:
    """{(sku, warehouse code): units still reserved}."""
    return {
        (row.line.sku, row.warehouse.code): row.quantity - row.quantity_shipped
        for row in LineAllocation.objects.filter(order=order).select_related("line", "warehouse")
        if row.quantity > row.quantity_shipped
    }


def level(product, wh) -> tuple[int, int]:
    row = StockLevel.objects.filter(product=product, warehouse=wh).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


@pytest.fixture
def network(db):
    return {
        "GZ": warehouse("GZ", GUANGZHOU),
        "SH": warehouse("SH", SHANGHAI),
        "BJ": warehouse("BJ", BEIJING),
    }


@pytest.fixture
def quiet_scoring(monkeypatch):
    """Priority scoring is not what these tests look at (and would overwrite the priorities they set)."""
    monkeypatch.setattr(tasks.order_score_priority_task, "delay", lambda **kw: None)


@pytest.fixture
def run_tasks(monkeypatch, quiet_scoring):
    """Allocation tasks queued by the listeners run at once, in this process: [(task, kwargs)]."""
    ran = []
    for task in (
        tasks.order_allocate_task,
        tasks.order_release_stock_task,
        tasks.order_backorders_retry_task,
    ):

        def delay(_task=task, **kwargs):
            ran.append((_task.name.rsplit(".", 1)[-1], kwargs))
            _task(**kwargs)

        monkeypatch.setattr(task, "delay", delay)
    return ran


# --- where stock is reserved ------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_warehouse_nearest_to_the_destination_ships_everything(network):
    # given two products in stock everywhere, and orders going next to Beijing and next to Guangzhou
    truck, cab = ProductFactory(), ProductFactory()
    for wh in network.values():
        receive(truck, wh, 10)
        receive(cab, wh, 10)
    north = approved_order([truck, cab], [3, 2], at=BEIJING)
    south = approved_order([truck, cab], [3, 2], at=GUANGZHOU)

    # when both are allocated
    outcome = order_allocate(order_id=north.pk)
    order_allocate(order_id=south.pk)

    # then each takes everything from the one warehouse nearest to it
    assert (outcome.reserved, outcome.backordered) == (5, 0)
    assert placed(north) == {(truck.sku, "BJ"): 3, (cab.sku, "BJ"): 2}
    assert placed(south) == {(truck.sku, "GZ"): 3, (cab.sku, "GZ"): 2}
    north.refresh_from_db()
    assert (north.status, north.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert north.allocation["reason"] == "single_warehouse_nearest"
    assert north.allocation["params"]["warehouse"] == "BJ"
    assert level(truck, network["BJ"]) == (10, 3)
    assert level(truck, network["SH"]) == (10, 0)
    assert north.events.filter(kind="order.allocated").count() == 1
    assert_books_balance(north, south)


@pytest.mark.django_db
def test_with_a_cost_table_for_the_destination_the_cheapest_warehouse_wins_over_the_nearest(network):
    from inventory.models import WarehouseShippingCost  # noqa: PLC0415

    # given stock everywhere and an order next to Beijing, region Hebei
    truck = ProductFactory()
    for wh in network.values():
        receive(truck, wh, 10)
    order = approved_order([truck], [4], at=BEIJING)
    Order.objects.filter(pk=order.pk).update(shipping_address={**order.shipping_address, "region": "Hebei"})
    # Shanghai has a contract rate to Hebei; Beijing only its expensive catch-all; Guangzhou nothing
    WarehouseShippingCost.objects.create(warehouse=network["BJ"], region="", per_shipment=Decimal("500"))
    WarehouseShippingCost.objects.create(
        warehouse=network["SH"], region="Hebei", per_shipment=Decimal("80"), per_unit=Decimal("5")
    )
    WarehouseShippingCost.objects.create(warehouse=network["SH"], region="", per_shipment=Decimal("900"))

    order_allocate(order_id=order.pk)

    order.refresh_from_db()
    assert placed(order) == {(truck.sku, "SH"): 4}
    assert order.allocation["reason"] == "single_warehouse_cheapest"
    assert order.allocation["params"] == {"warehouse": "SH", "cost": "100.00"}
    # without rows for a destination, distance decides as before
    other = approved_order([truck], [1], at=BEIJING)
    Order.objects.filter(pk=other.pk).update(shipping_address={**other.shipping_address, "region": "Hebei"})
    WarehouseShippingCost.objects.all().delete()
    order_allocate(order_id=other.pk)
    assert placed(other) == {(truck.sku, "BJ"): 1}


@pytest.mark.django_db
def test_when_no_warehouse_has_everything_the_fewest_nearest_ones_share_it(network):
    # given A in GZ and SH, B in SH and BJ, C only in BJ; the order goes to Guangzhou
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    receive(a, network["GZ"], 5)
    receive(a, network["SH"], 5)
    receive(b, network["SH"], 5)
    receive(b, network["BJ"], 5)
    receive(c, network["BJ"], 5)
    order = approved_order([a, b, c], [4, 4, 4], at=GUANGZHOU)

    # when it is allocated
    order_allocate(order_id=order.pk)

    # then two warehouses ship it (never three), and of the two-warehouse covers the nearest: GZ + BJ
    assert placed(order) == {(a.sku, "GZ"): 4, (b.sku, "BJ"): 4, (c.sku, "BJ"): 4}
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert order.allocation["reason"] == "split_fewest_warehouses"
    assert set(order.allocation["warehouses"].values()) >= {"GZ", "BJ"}
    assert_books_balance(order)


@pytest.mark.django_db
def test_partial_stock_with_partial_shipments_accepted_allocates_and_announces_the_backorder(
    network, emitted, django_capture_on_commit_callbacks
):
    # given 3 trucks in stock for an order of 5 trucks and 2 cabs; the customer accepts partial shipments
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["BJ"], 3)
    receive(cab, network["BJ"], 10)
    order = approved_order([truck, cab], [5, 2])

    # when it is allocated
    with django_capture_on_commit_callbacks(execute=True):
        outcome = order_allocate(order_id=order.pk)

    # then what exists is reserved, the order is allocated (it ships now), the rest is backordered
    assert (outcome.reserved, outcome.backordered) == (5, 2)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.PARTIAL)
    assert placed(order) == {(truck.sku, "BJ"): 3, (cab.sku, "BJ"): 2}
    assert order.allocation["reason"] == "partial_backorder"
    truck_line = order.lines.get(product=truck)
    assert order.allocation["lines"][str(truck_line.pk)]["backordered"] == 2
    # `order.backordered` carries the short lines; the timeline says so too
    backordered = [payload for name, payload in emitted if name == "order.backordered"]
    assert len(backordered) == 1
    assert backordered[0]["lines"] == [{"sku": truck.sku, "quantity_short": 2}]
    assert backordered[0]["order_id"] == order.pk
    entry = order.events.get(kind="order.backordered")
    assert entry.data["lines"] == [{"line_id": truck_line.pk, "sku": truck.sku, "quantity_short": 2}]
    assert_books_balance(order)


@pytest.mark.django_db
def test_partial_stock_without_partial_shipments_reserves_but_stays_approved(
    network, emitted, django_capture_on_commit_callbacks
):
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["SH"], 3)
    receive(cab, network["SH"], 10)
    order = approved_order([truck, cab], [5, 2], accepts_partial=False)

    with django_capture_on_commit_callbacks(execute=True):
        order_allocate(order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.PARTIAL)
    assert placed(order) == {(truck.sku, "SH"): 3, (cab.sku, "SH"): 2}
    assert order.allocation["reason"] == "partial_not_accepted"
    assert order.allocation["ships_now"] is False
    assert order.allocation["lines"][str(order.lines.get(product=truck).pk)]["backordered"] == 2
    assert not order.events.filter(kind="order.allocated").exists()
    assert [p["lines"] for n, p in emitted if n == "order.backordered"] == [
        [{"sku": truck.sku, "quantity_short": 2}]
    ]
    assert_books_balance(order)


@pytest.mark.django_db
def test_nothing_in_stock_backorders_everything(network, emitted, django_capture_on_commit_callbacks):
    truck = ProductFactory()
    order = approved_order([truck], [4])

    with django_capture_on_commit_callbacks(execute=True):
        outcome = order_allocate(order_id=order.pk)

    assert (outcome.reserved, outcome.backordered) == (0, 4)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.BACKORDERED)
    assert order.allocation["reason"] == "no_stock"
    assert LineAllocation.objects.filter(order=order).count() == 0
    assert StockMovement.objects.filter(document_id=str(order.pk)).count() == 0
    assert [p["lines"] for n, p in emitted if n == "order.backordered"] == [
        [{"sku": truck.sku, "quantity_short": 4}]
    ]
    # a second run (a retry with still nothing in stock) does not announce the same backorder again
    with django_capture_on_commit_callbacks(execute=True):
        order_allocate(order_id=order.pk)
    assert len([n for n, _p in emitted if n == "order.backordered"]) == 1
    assert order.events.filter(kind="order.backordered").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_order_of_custom_builds_needs_no_stock_and_stays_approved(network):
    built = ProductFactory(made_to_order=True)
    receive(built, network["BJ"], 10)  # even in stock, a built-to-order line is production's
    order = approved_order([built, ProductFactory(made_to_order=True)], [2, 1])

    order_allocate(order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.NOT_NEEDED)
    assert LineAllocation.objects.filter(order=order).count() == 0
    assert level(built, network["BJ"]) == (10, 0)
    view = order_allocation_view(order=order)
    assert [line.from_stock for line in view.lines] == [False, False]
    assert all("production" in line.explanation for line in view.lines)
    assert_books_balance(order)


@pytest.mark.django_db
def test_the_decision_is_stored_on_the_order_and_explained_in_words(network):
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["BJ"], 10)
    receive(cab, network["SH"], 1)
    order = approved_order([truck, cab], [2, 3])

    order_allocate(order_id=order.pk)

    order.refresh_from_db()
    truck_line, cab_line = order.lines.order_by("position")
    decision = order.allocation
    assert decision["reason"] == "partial_backorder"
    assert decision["lines"][str(truck_line.pk)]["reason"] == "one_warehouse"
    assert decision["lines"][str(cab_line.pk)] == {
        "reason": "partial_backorder",
        "params": {"allocated": 1, "warehouses": "SH", "backordered": 2},
        "backordered": 2,
    }
    assert decision["at"]
    view = order_allocation_view(order=order)
    assert view.status == A.PARTIAL
    assert str(view.status_label) == "Partly reserved, rest backordered"
    assert "2 units are backordered" in view.explanation
    assert view.backordered == 2
    by_sku = {line.sku: line for line in view.lines}
    assert by_sku[truck.sku].explanation.startswith("2 from BJ (")
    assert by_sku[truck.sku].warehouses == [{"code": "BJ", "name": "BJ", "reserved": 2, "shipped": 0}]
    assert by_sku[cab.sku].explanation == "1 reserved from SH; 2 backordered."
    assert by_sku[cab.sku].backordered == 2


# --- "allocated" is a process, not a label ----------------------------------------------------------


@pytest.mark.django_db
def test_allocated_cannot_be_set_by_hand(network):
    truck = ProductFactory()
    receive(truck, network["BJ"], 5)
    order = approved_order([truck], [2])

    with pytest.raises(StatusSetByAllocation):
        order_transition(order_id=order.pk, to=S.ALLOCATED, reason="looks fine")

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.NONE)
    assert level(truck, network["BJ"]) == (5, 0)
    assert_books_balance(order)


@pytest.mark.django_db
def test_the_admin_allocate_action_runs_allocation(network, admin_client):
    truck = ProductFactory()
    receive(truck, network["BJ"], 5)
    order = approved_order([truck], [2])

    response = admin_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "allocate", "index": 0, "reason": "", "_selected_action": [order.pk]},
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert placed(order) == {(truck.sku, "BJ"): 2}
    assert level(truck, network["BJ"]) == (5, 2)
    assert_books_balance(order)


# --- the same message twice -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_allocation_task_delivered_twice_reserves_once(network):
    truck = ProductFactory()
    receive(truck, network["BJ"], 10)
    order = approved_order([truck], [4])

    tasks.order_allocate_task(order_id=order.pk, event_id="e-1")
    tasks.order_allocate_task(order_id=order.pk, event_id="e-1")

    assert level(truck, network["BJ"]) == (10, 4)
    assert StockMovement.objects.filter(kind=MovementKind.RESERVATION, document_id=str(order.pk)).count() == 1
    assert order.events.filter(kind="order.allocated").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_the_approved_event_relayed_twice_reserves_once(
    network, run_tasks, django_capture_on_commit_callbacks
):
    # given an order submitted for 4 trucks, 10 in stock
    truck = ProductFactory()
    receive(truck, network["BJ"], 10)
    order = make_order(customer=customer_at(BEIJING), products=[truck], quantities=[4])

    # when it is approved, the event relayed after commit, and then relayed once more
    with django_capture_on_commit_callbacks(execute=True):
        order_approve(order_id=order.pk)
    event = OutboxEvent.objects.get(name="order.approved", aggregate_id=str(order.pk))
    with django_capture_on_commit_callbacks(execute=True):
        events.deliver(event.name, event.payload, event_id=str(event.pk))

    # then the listener queued the allocation both times under the event's id, and it reserved once
    allocations = [kwargs for name, kwargs in run_tasks if name == "order_allocate_task"]
    assert allocations == [{"order_id": order.pk, "event_id": str(event.pk)}] * 2
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert level(truck, network["BJ"]) == (10, 4)
    assert_books_balance(order)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.CANCELLED, S.ON_HOLD, S.SUBMITTED, S.REJECTED])
def test_allocation_of_an_order_that_is_not_approved_does_nothing(network, status):
    truck = ProductFactory()
    receive(truck, network["BJ"], 10)
    held_from = {"held_from": S.APPROVED} if status == S.ON_HOLD else {}
    order = make_order(
        customer=customer_at(BEIJING), products=[truck], quantities=[2], status=status, **held_from
    )
    version = order.version

    outcome = order_allocate(order_id=order.pk)

    order.refresh_from_db()
    assert outcome.changed is False
    assert (order.status, order.allocation_status, order.version) == (status, A.NONE, version)
    assert level(truck, network["BJ"]) == (10, 0)
    assert_books_balance(order)


# --- release ----------------------------------------------------------------------------------------


def _allocated(network, quantities=(3, 2)):
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["BJ"], 10)
    receive(cab, network["BJ"], 1)
    receive(cab, network["SH"], 10)  # 1 cab in BJ is not enough: trucks from BJ, cabs from SH
    order = approved_order([truck, cab], list(quantities))
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.ALLOCATED
    assert placed(order) == {(truck.sku, "BJ"): quantities[0], (cab.sku, "SH"): quantities[1]}
    return order, truck, cab


@pytest.mark.django_db
def test_cancelling_an_allocated_order_releases_its_reservations_once(
    network, run_tasks, django_capture_on_commit_callbacks
):
    order, truck, cab = _allocated(network)
    reserved_before = held(order.pk)
    assert reserved_before == 5

    # when it is cancelled (the order.cancelled listener queues the release)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, reason="customer changed mind")
    # and the release task is delivered again
    tasks.order_release_stock_task(order_id=order.pk, event_id="again")

    # then every unit is back, through release movements written once
    assert [name for name, _kw in run_tasks if name == "order_release_stock_task"] == [
        "order_release_stock_task"
    ]
    assert StockLevel.objects.filter(product__in=[truck, cab], reserved__gt=0).count() == 0
    releases = StockMovement.objects.filter(kind=MovementKind.RELEASE, document_id=str(order.pk))
    assert sum(m.reserved_delta for m in releases) == -reserved_before
    assert LineAllocation.objects.filter(order=order).count() == 0
    assert list(order.lines.values_list("quantity_allocated", flat=True)) == [0, 0]
    order.refresh_from_db()
    assert order.allocation_status == A.RELEASED
    assert order.events.filter(kind="order.stock_released").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_hold_then_cancel_releases(network):
    order, truck, _cab = _allocated(network)

    order_hold(order_id=order.pk, reason="credit check")
    assert level(truck, network["BJ"]) == (10, 3)  # a hold keeps the stock
    order_cancel(order_id=order.pk, reason="credit refused")
    released = order_release_cancelled(order_id=order.pk)

    assert released == 5
    assert level(truck, network["BJ"]) == (10, 0)
    assert order_release_cancelled(order_id=order.pk) == 0
    assert StockMovement.objects.filter(kind=MovementKind.RELEASE, document_id=str(order.pk)).count() == 2
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_cancelled_backorder_no_longer_reads_as_waiting(network):
    truck = ProductFactory()
    order = approved_order([truck], [3])
    order_allocate(order_id=order.pk)

    order_cancel(order_id=order.pk, reason="no longer needed")
    assert order_release_cancelled(order_id=order.pk) == 0

    order.refresh_from_db()
    assert order.allocation_status == A.RELEASED
    assert orders_waiting_for_stock() == []
    assert_books_balance(order)


@pytest.mark.django_db
def test_release_called_twice_releases_once_and_only_for_cancelled_orders(network):
    order, truck, _cab = _allocated(network)

    assert order_release_cancelled(order_id=order.pk) == 0  # not cancelled: nothing
    assert order_allocation_release(order_id=order.pk) == 5
    assert order_allocation_release(order_id=order.pk) == 0

    assert StockMovement.objects.filter(kind=MovementKind.RELEASE, document_id=str(order.pk)).count() == 2
    assert level(truck, network["BJ"]) == (10, 0)
    assert_books_balance(order)


@pytest.mark.django_db
def test_shipped_units_are_never_released(network):
    # given an allocated order ready to ship, 2 of its 3 trucks shipped from BJ
    order, truck, cab = _allocated(network)
    order_transition(order_id=order.pk, to=S.READY_TO_SHIP)
    truck_line = order.lines.get(product=truck)
    order_record_shipped_quantities(
        order_id=order.pk, quantities={truck_line.pk: 2}, warehouse_id=network["BJ"].pk
    )
    assert level(truck, network["BJ"]) == (8, 1)

    # when its reservations are released (a line change, say)
    released = order_allocation_release(order_id=order.pk)

    # then only the unshipped units come back; the shipped ones stay on the allocation row
    assert released == 3  # 1 truck + 2 cabs
    assert level(truck, network["BJ"]) == (8, 0)
    row = LineAllocation.objects.get(line=truck_line)
    assert (row.quantity, row.quantity_shipped) == (2, 2)
    assert LineAllocation.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.allocation_status == A.RELEASED
    assert order_allocation_release(order_id=order.pk) == 0
    assert_books_balance(order)


# --- backorders -------------------------------------------------------------------------------------


def _waiting(product, quantity, *, priority, approved_at, accepts_partial=True):
    order = approved_order([product], [quantity], accepts_partial=accepts_partial)
    Order.objects.filter(pk=order.pk).update(priority=priority, approved_at=approved_at)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert order.allocation_status == A.BACKORDERED
    return order


@pytest.mark.django_db
def test_under_scarcity_a_receipt_serves_the_higher_priority_first(
    network, run_tasks, django_capture_on_commit_callbacks
):
    # given two orders waiting for 5 trucks each: the older one with the lower priority
    truck = ProductFactory()
    now = timezone.now()
    older_low = _waiting(truck, 5, priority=40, approved_at=now - dt.timedelta(days=3))
    newer_high = _waiting(truck, 5, priority=90, approved_at=now)

    # when 5 trucks are received (stock.replenished → the backorder retry)
    with django_capture_on_commit_callbacks(execute=True):
        receive(truck, network["SH"], 5)

    # then the higher priority gets them, the other keeps waiting
    assert [name for name, _kw in run_tasks] == ["order_backorders_retry_task"]
    newer_high.refresh_from_db()
    older_low.refresh_from_db()
    assert (newer_high.status, newer_high.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert (older_low.status, older_low.allocation_status) == (S.APPROVED, A.BACKORDERED)
    assert placed(newer_high) == {(truck.sku, "SH"): 5}
    assert_books_balance(newer_high, older_low)


@pytest.mark.django_db
def test_under_scarcity_with_equal_priority_the_older_approval_wins(
    network, run_tasks, django_capture_on_commit_callbacks
):
    truck = ProductFactory()
    now = timezone.now()
    newer = _waiting(truck, 5, priority=50, approved_at=now)
    older = _waiting(truck, 5, priority=50, approved_at=now - dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        receive(truck, network["GZ"], 7)

    newer.refresh_from_db()
    older.refresh_from_db()
    assert older.allocation_status == A.ALLOCATED
    assert (newer.status, newer.allocation_status) == (S.ALLOCATED, A.PARTIAL)  # accepts partial: 2 now
    assert placed(newer) == {(truck.sku, "GZ"): 2}
    assert_books_balance(newer, older)


@pytest.mark.django_db
def test_the_most_urgent_waiting_orders_come_first_however_long_the_backlog(network):
    # given six orders waiting for trucks, the most urgent one created last
    truck = ProductFactory()
    now = timezone.now()
    waiting = [_waiting(truck, 1, priority=50, approved_at=now) for _ in range(5)]
    urgent = _waiting(truck, 1, priority=99, approved_at=now)

    # then it heads the list even when only one order is taken
    assert orders_waiting_for_stock(limit=1) == [urgent.pk]
    assert orders_waiting_for_stock(product_ids=[truck.pk], limit=2) == [urgent.pk, waiting[0].pk]
    assert orders_waiting_for_stock(product_ids=[ProductFactory().pk]) == []


@pytest.mark.django_db
def test_the_retry_fills_a_partial_order_and_says_so(network):
    truck, cab = ProductFactory(), ProductFactory()
    receive(truck, network["BJ"], 2)
    receive(cab, network["BJ"], 5)
    order = approved_order([truck, cab], [5, 1])
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.PARTIAL)

    receive(truck, network["GZ"], 10)
    reserved = order_backorders_retry()

    assert reserved == 3
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert placed(order) == {(truck.sku, "BJ"): 2, (truck.sku, "GZ"): 3, (cab.sku, "BJ"): 1}
    filled = order.events.get(kind="order.backorder_filled")
    assert (filled.data["reserved"], filled.data["backordered"]) == (3, 0)
    assert order.allocation["lines"][str(order.lines.get(product=truck).pk)]["backordered"] == 0
    # the decision describes what the order holds now, not only what the retry added
    view = order_allocation_view(order=order)
    assert order.allocation["reason"] == "split_fewest_warehouses"
    assert view.explanation.endswith("do together: BJ, GZ.")
    by_sku = {line.sku: line for line in view.lines}
    assert (
        by_sku[truck.sku].explanation == "Split over BJ, GZ: no single warehouse of the plan has all 5 units."
    )
    assert by_sku[cab.sku].explanation.startswith("1 from BJ (")
    assert order_backorders_retry() == 0  # nothing waits any more
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_retry_that_finds_nothing_new_changes_nothing(network):
    # given a partly reserved order waiting for 2 trucks
    truck = ProductFactory()
    receive(truck, network["BJ"], 3)
    order = approved_order([truck], [5])
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    before = (order.version, order.allocation, order.updated_at)

    # when the backorders are retried with nothing new in stock
    outcome = order_allocate(order_id=order.pk)
    order_backorders_retry()

    # then the order is untouched: an edit holding its version still goes through
    assert outcome.changed is False
    order.refresh_from_db()
    assert (order.version, order.allocation, order.updated_at) == before
    assert order.allocation["reason"] == "partial_backorder"
    assert order.events.filter(kind="order.backordered").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_retry_that_fills_part_of_a_backorder_explains_the_totals(network):
    # given 2 of 6 trucks reserved in BJ, the rest waiting
    truck = ProductFactory()
    receive(truck, network["BJ"], 2)
    order = approved_order([truck], [6])
    order_allocate(order_id=order.pk)

    # when 1 more arrives in SH and the backorders are retried
    receive(truck, network["SH"], 1)
    assert order_backorders_retry() == 1

    order.refresh_from_db()
    assert order.allocation_status == A.PARTIAL
    view = order_allocation_view(order=order)
    assert view.lines[0].explanation == "3 reserved from BJ, SH; 3 backordered."
    assert order.allocation["reason"] == "partial_backorder"
    assert order.allocation["params"] == {"warehouses": "BJ, SH", "backordered": 3}
    assert view.backordered == 3
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_approved_order_waiting_to_ship_complete_is_allocated_once_completed(network):
    truck = ProductFactory()
    receive(truck, network["SH"], 3)
    order = approved_order([truck], [5], accepts_partial=False)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.PARTIAL)

    receive(truck, network["SH"], 2)
    order_backorders_retry()

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert placed(order) == {(truck.sku, "SH"): 5}
    assert order.events.filter(kind="order.allocated").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_cancelled_order_no_longer_waits_and_its_stock_serves_the_next(
    network, run_tasks, django_capture_on_commit_callbacks
):
    # given the first order holding the only 4 trucks and a second one waiting for them
    truck = ProductFactory()
    receive(truck, network["BJ"], 4)
    first = approved_order([truck], [4])
    order_allocate(order_id=first.pk)
    second = _waiting(truck, 4, priority=50, approved_at=timezone.now())

    # when the first is cancelled (release → stock.replenished → retry)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=first.pk, reason="duplicate")

    second.refresh_from_db()
    assert (second.status, second.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert level(truck, network["BJ"]) == (4, 4)
    assert_books_balance(first, second)


@pytest.mark.django_db
@pytest.mark.postgres
def test_allocation_locks_the_order_then_the_stock_rows_before_writing_them():
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from inventory.tests.test_locks import _writes_after_locks  # noqa: PLC0415

    first, second = ProductFactory(), ProductFactory()
    warehouse = WarehouseFactory()
    for product in (first, second):
        stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=5)
    order = make_order(products=[first, second], quantities=[2, 3], status=OrderStatus.APPROVED)

    with CaptureQueriesContext(connection) as captured:
        order_allocate(order_id=order.pk)

    statements = [query["sql"] for query in captured.captured_queries]
    order_lock = next(
        i for i, sql in enumerate(statements) if 'FROM "orders_order"' in sql and "FOR UPDATE" in sql
    )
    stock_lock = next(
        i for i, sql in enumerate(statements) if 'FROM "inventory_stocklevel"' in sql and "FOR UPDATE" in sql
    )
    assert order_lock < stock_lock
    assert _writes_after_locks(captured.captured_queries)
