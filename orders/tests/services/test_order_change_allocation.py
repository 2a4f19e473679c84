"""A change to an order allocation has looked at moves its reservations through inventory's ledger:
reduced lines give back the difference, removed lines everything, added or increased lines are
allocated again; allocation_status and the books stay true."""

import threading

import pytest
from django.db import connection

from core.errors import ConcurrentModification, ValidationFailed
from inventory.models import MovementKind, StockMovement
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import AllocationStatus, LineAllocation, Order, OrderLine
from orders.services import LineChange, order_change, order_release_hold
from orders.services.allocation import order_allocate, order_backorders_retry
from orders.states import OrderStatus
from orders.tests.factories import make_order
from orders.tests.services.test_allocation import (
    BEIJING,
    SHANGHAI,
    approved_order,
    assert_books_balance,
    customer_at,
    held_per_line,
    level,
    placed,
    receive,
    warehouse,
)

S = OrderStatus
A = AllocationStatus


@pytest.fixture
def network(db):
    return {"SH": warehouse("SH", SHANGHAI), "BJ": warehouse("BJ", BEIJING)}


def lines_of(order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order.pk).order_by("position"))


def change(order, **kwargs):
    order.refresh_from_db()
    return order_change(order_id=order.pk, actor=None, expected_version=order.version, **kwargs)


def allocated(products, quantities, stock, wh, **kwargs):
    """An approved order for `products`, with `stock` units of each received into `wh`, allocated."""
    for product in products:
        receive(product, wh, stock)
    order = approved_order(products, quantities, **kwargs)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_a_reduced_line_releases_exactly_the_difference(network):
    truck = ProductFactory()
    order = allocated([truck], [5], 10, network["BJ"])
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, quantity=2)])

    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity, line.quantity_allocated) == (2, 2)
    assert placed(order) == {(truck.sku, "BJ"): 2}
    assert level(truck, network["BJ"]) == (10, 2)
    release = StockMovement.objects.get(kind=MovementKind.RELEASE, document_id=str(order.pk))
    assert (release.reserved_delta, release.document_line_id) == (-3, str(line.pk))
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert order.events.filter(kind="order.updated").get().data["stock_released"] == 3
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_increased_line_reserves_more(network):
    truck = ProductFactory()
    order = allocated([truck], [2], 10, network["BJ"])
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, quantity=6)])

    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity_allocated == 6
    assert level(truck, network["BJ"]) == (10, 6)
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert order.allocation["lines"][str(line.pk)]["backordered"] == 0
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_increase_beyond_stock_is_backordered_and_announced(
    network, emitted, django_capture_on_commit_callbacks
):
    truck = ProductFactory()
    order = allocated([truck], [2], 3, network["BJ"])
    line = lines_of(order)[0]

    with django_capture_on_commit_callbacks(execute=True):
        change(order, lines=[LineChange(line_id=line.pk, quantity=5)])

    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity_allocated == 3
    assert order.allocation_status == A.PARTIAL
    assert order.allocation["lines"][str(line.pk)]["backordered"] == 2
    backordered = [payload for name, payload in emitted if name == "order.backordered"]
    assert backordered[-1]["lines"] == [{"sku": truck.sku, "quantity_short": 2}]
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_removed_line_releases_everything_it_held(network):
    truck, cab = ProductFactory(), ProductFactory()
    order = allocated([truck, cab], [3, 4], 10, network["BJ"])
    first, second = lines_of(order)

    change(order, lines=[LineChange(line_id=second.pk, remove=True)])

    order.refresh_from_db()
    assert placed(order) == {(truck.sku, "BJ"): 3}
    assert level(cab, network["BJ"]) == (10, 0)
    assert not LineAllocation.objects.filter(line_id=second.pk).exists()
    assert set(order.allocation["lines"]) == {str(first.pk)}
    assert order.allocation_status == A.ALLOCATED
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_added_stock_line_is_allocated_at_once(network):
    truck, cab = ProductFactory(), ProductFactory()
    order = allocated([truck], [1], 10, network["BJ"])
    receive(cab, network["BJ"], 5)

    change(order, lines=[LineChange(sku=cab.sku, quantity=4)])

    order.refresh_from_db()
    assert placed(order) == {(truck.sku, "BJ"): 1, (cab.sku, "BJ"): 4}
    assert order.allocation_status == A.ALLOCATED
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_reduction_spares_the_fewest_warehouses(network):
    # 5 reserved in Beijing, 2 in Shanghai: giving back 2 empties Shanghai, and the rest ships from one.
    truck = ProductFactory()
    receive(truck, network["BJ"], 5)
    receive(truck, network["SH"], 2)
    order = approved_order([truck], [7], at=BEIJING)
    order_allocate(order_id=order.pk)
    line = lines_of(order)[0]
    assert placed(order) == {(truck.sku, "BJ"): 5, (truck.sku, "SH"): 2}

    change(order, lines=[LineChange(line_id=line.pk, quantity=5)])

    assert placed(order) == {(truck.sku, "BJ"): 5}
    assert level(truck, network["SH"]) == (2, 0)
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_approved_order_waiting_to_ship_complete_is_allocated_once_reduced_to_its_stock(network):
    truck = ProductFactory()
    receive(truck, network["BJ"], 3)
    order = approved_order([truck], [5], accepts_partial=False)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.PARTIAL)
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, quantity=3)])

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.ALLOCATED, A.ALLOCATED)
    assert order.events.filter(kind="order.allocated").count() == 1
    assert_books_balance(order)


@pytest.mark.django_db
def test_an_approved_order_not_allocated_yet_is_left_to_the_allocation_worker(network):
    truck = ProductFactory()
    receive(truck, network["BJ"], 10)
    order = approved_order([truck], [2])
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, quantity=4)])

    order.refresh_from_db()
    assert (order.status, order.allocation_status) == (S.APPROVED, A.NONE)
    assert not LineAllocation.objects.filter(order=order).exists()
    order_allocate(order_id=order.pk)
    assert placed(order) == {(truck.sku, "BJ"): 4}


@pytest.mark.django_db
def test_a_line_made_a_custom_build_gives_its_stock_back(network):
    truck = ProductFactory()
    colour = ProductOptionFactory(product=truck, code="colour", required=False)
    ProductOptionValueFactory(option=colour, code="special", is_custom=True)
    order = allocated([truck], [3], 10, network["BJ"])
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, options={"colour": "special"})])

    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.is_custom_build, line.quantity_allocated) == (True, 0)
    assert level(truck, network["BJ"]) == (10, 0)
    assert order.allocation_status == A.NOT_NEEDED
    assert_books_balance(order)


@pytest.mark.django_db
def test_on_hold_a_reduction_releases_and_an_increase_waits_for_the_release(network):
    truck, cab = ProductFactory(), ProductFactory()
    for product in (truck, cab):
        receive(product, network["BJ"], 10)
    order = make_order(
        customer=customer_at(BEIJING),
        products=[truck, cab],
        quantities=[4, 2],
        status=S.ON_HOLD,
        held_from=S.ALLOCATED,
    )
    first, second = lines_of(order)

    change(
        order,
        lines=[LineChange(line_id=first.pk, quantity=1), LineChange(line_id=second.pk, quantity=5)],
    )

    order.refresh_from_db()
    assert held_per_line(order.pk) == {first.pk: 1, second.pk: 2}
    assert (order.status, order.allocation_status) == (S.ON_HOLD, A.PARTIAL)
    order_release_hold(order_id=order.pk)
    order_allocate(order_id=order.pk)  # what the backorder sweep does for a waiting order
    assert held_per_line(order.pk) == {first.pk: 1, second.pk: 5}
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_refused_change_moves_no_stock(network):
    truck = ProductFactory()
    order = allocated([truck], [5], 10, network["BJ"])
    line = lines_of(order)[0]
    movements = StockMovement.objects.count()

    with pytest.raises(ValidationFailed):
        change(order, lines=[LineChange(line_id=line.pk, quantity=1), LineChange(sku="NOPE", quantity=1)])

    assert StockMovement.objects.count() == movements
    assert placed(order) == {(truck.sku, "BJ"): 5}
    assert Order.objects.get(pk=order.pk).version == order.version
    assert_books_balance(order)


@pytest.mark.django_db
def test_a_backorder_a_change_makes_grow_is_announced_once(
    network, emitted, django_capture_on_commit_callbacks
):
    truck = ProductFactory()
    order = allocated([truck], [5], 3, network["BJ"])
    assert order.allocation_status == A.PARTIAL
    line = lines_of(order)[0]

    with django_capture_on_commit_callbacks(execute=True):
        change(order, lines=[LineChange(line_id=line.pk, quantity=7)])
        change(order, lines=[LineChange(line_id=line.pk, quantity=6)])

    backordered = [payload["lines"] for name, payload in emitted if name == "order.backordered"]
    assert backordered == [[{"sku": truck.sku, "quantity_short": 4}]]
    order.refresh_from_db()
    assert order.allocation["lines"][str(line.pk)]["backordered"] == 3
    assert_books_balance(order)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_and_a_backorder_retry_keep_the_books_and_one_version_wins():
    bj = warehouse("BJ", BEIJING)
    truck = ProductFactory()
    order = allocated([truck], [5], 6, bj)
    waiting = approved_order([truck], [4])
    order_allocate(order_id=waiting.pk)  # 1 left in stock: 3 backordered
    line = lines_of(order)[0]
    version = order.version
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def run(work) -> None:
        try:
            barrier.wait(timeout=10)
            work()
            outcomes.append("done")
        except ConcurrentModification:
            outcomes.append("stale")
        except Exception as exc:  # collected and asserted below; a thread cannot fail the test itself
            outcomes.append(repr(exc))
        finally:
            connection.close()

    def reduce() -> None:
        order_change(
            order_id=order.pk,
            actor=None,
            expected_version=version,
            lines=[LineChange(line_id=line.pk, quantity=1)],
        )

    def increase() -> None:
        order_change(
            order_id=order.pk,
            actor=None,
            expected_version=version,
            lines=[LineChange(line_id=line.pk, quantity=6)],
        )

    threads = [
        threading.Thread(target=run, args=(work,)) for work in (reduce, increase, order_backorders_retry)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["done", "done", "stale"]
    order_backorders_retry()  # whatever the release made available, after the retry above may have run first
    assert_books_balance(order, waiting)
    reserved = sum(held_per_line(o.pk).get(lines_of(o)[0].pk, 0) for o in (order, waiting))
    wanted = sum(lines_of(o)[0].quantity for o in (order, waiting))
    assert reserved == min(6, wanted)  # no unit in stock is left idle while one of them waits
