"""The stock services (issue #8): every balance change is a movement; refusals change nothing.

All fail on main before the ledger (inventory.services did not exist).
"""

import pytest
from django.contrib.auth import get_user_model

from inventory.errors import InsufficientStock, InvalidStockMovement
from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.selectors import stock_available, stock_drift
from inventory.services import (
    Demand,
    DocumentRef,
    stock_adjust,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_reserve_available,
    stock_return,
    stock_ship,
    stock_transfer,
)
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_drift")]

ORDER = DocumentRef(type="orders.order", id=41)


def _balance(level):
    level.refresh_from_db()
    return level.on_hand, level.reserved


def _snapshot():
    return (
        sorted(StockLevel.objects.values_list("product_id", "warehouse_id", "on_hand", "reserved")),
        StockMovement.objects.count(),
    )


def test_receive_creates_the_row_and_one_receipt_movement():
    product, warehouse = ProductFactory(), WarehouseFactory()
    user = get_user_model().objects.create_user(username="clerk")

    movement = stock_receive(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=12, actor=user, reason="PO 7"
    )

    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (12, 0)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (MovementKind.RECEIPT, 12, 0)
    assert movement.actor == user
    assert movement.reason == "PO 7"


def test_receive_adds_to_an_existing_row():
    level = StockLevelFactory(on_hand=5)
    stock_receive(product_id=level.product_id, warehouse_id=level.warehouse_id, quantity=3)
    assert _balance(level) == (8, 0)


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, 100_000_001])
def test_receive_refuses_a_bad_quantity_and_changes_nothing(quantity):
    level = StockLevelFactory(on_hand=5)
    before = _snapshot()
    with pytest.raises(InvalidStockMovement):
        stock_receive(product_id=level.product_id, warehouse_id=level.warehouse_id, quantity=quantity)
    assert _snapshot() == before


def test_receive_refuses_an_unknown_product_and_changes_nothing():
    warehouse = WarehouseFactory()
    before = _snapshot()
    with pytest.raises(InvalidStockMovement):
        stock_receive(product_id=999_999, warehouse_id=warehouse.pk, quantity=1)
    assert _snapshot() == before


def test_receive_with_the_same_key_twice_receives_once():
    level = StockLevelFactory(on_hand=0)
    kwargs = {
        "product_id": level.product_id,
        "warehouse_id": level.warehouse_id,
        "quantity": 4,
        "document": DocumentRef(type="purchasing.receipt", id="GR-1"),
        "idempotency_key": "gr-1",
    }
    first = stock_receive(**kwargs)
    second = stock_receive(**kwargs)
    assert first.pk == second.pk
    assert _balance(level) == (4, 0)


def test_adjust_moves_on_hand_with_its_reason():
    level = StockLevelFactory(on_hand=10)
    movement = stock_adjust(
        product_id=level.product_id, warehouse_id=level.warehouse_id, delta=-3, reason="damaged"
    )
    assert _balance(level) == (7, 0)
    assert (movement.kind, movement.on_hand_delta, movement.reason) == (
        MovementKind.ADJUSTMENT,
        -3,
        "damaged",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_adjust_without_a_reason_is_refused_and_changes_nothing(reason):
    level = StockLevelFactory(on_hand=10)
    before = _snapshot()
    with pytest.raises(InvalidStockMovement) as refused:
        stock_adjust(product_id=level.product_id, warehouse_id=level.warehouse_id, delta=2, reason=reason)
    assert "reason" in refused.value.fields
    assert _snapshot() == before


def test_adjust_below_reserved_is_refused_and_changes_nothing():
    level = StockLevelFactory(on_hand=10, reserved=6)
    before = _snapshot()
    with pytest.raises(InsufficientStock) as refused:
        stock_adjust(product_id=level.product_id, warehouse_id=level.warehouse_id, delta=-5, reason="count")
    assert refused.value.extra["lines"][0]["available"] == 4
    assert refused.value.status == 409
    assert _snapshot() == before
    stock_adjust(product_id=level.product_id, warehouse_id=level.warehouse_id, delta=-4, reason="count")
    assert _balance(level) == (6, 6)


def test_adjust_below_zero_without_a_row_is_refused():
    product, warehouse = ProductFactory(), WarehouseFactory()
    before = _snapshot()
    with pytest.raises(InsufficientStock):
        stock_adjust(product_id=product.pk, warehouse_id=warehouse.pk, delta=-1, reason="count")
    assert _snapshot() == before


def test_reserve_reserves_every_line_with_a_movement_each():
    a, b = StockLevelFactory(on_hand=10), StockLevelFactory(on_hand=5)

    movements = stock_reserve(
        demands=[(a.product_id, a.warehouse_id, 4, 1), Demand(b.product_id, b.warehouse_id, 5, 2)],
        document=ORDER,
    )

    assert (_balance(a), _balance(b)) == ((10, 4), (5, 5))
    assert [
        (m.kind, m.reserved_delta, m.document_type, m.document_id, m.document_line_id) for m in movements
    ] == [
        (MovementKind.RESERVATION, 4, "orders.order", "41", "1"),
        (MovementKind.RESERVATION, 5, "orders.order", "41", "2"),
    ]


def test_reserve_is_all_or_nothing_and_names_the_short_lines():
    a, b = StockLevelFactory(on_hand=10), StockLevelFactory(on_hand=5, reserved=2)
    missing = ProductFactory()
    before = _snapshot()

    with pytest.raises(InsufficientStock) as refused:
        stock_reserve(
            demands=[
                (a.product_id, a.warehouse_id, 4),
                (b.product_id, b.warehouse_id, 4),
                (missing.pk, a.warehouse_id, 1),
            ],
            document=ORDER,
        )

    assert _snapshot() == before
    assert refused.value.code == "insufficient_stock"
    assert sorted(refused.value.extra["lines"], key=lambda line: line["product_id"]) == sorted(
        [
            {"product_id": b.product_id, "warehouse_id": b.warehouse_id, "requested": 4, "available": 3},
            {"product_id": missing.pk, "warehouse_id": a.warehouse_id, "requested": 1, "available": 0},
        ],
        key=lambda line: line["product_id"],
    )


def test_reserve_counts_two_lines_on_the_same_row_together():
    level = StockLevelFactory(on_hand=5)
    before = _snapshot()
    with pytest.raises(InsufficientStock):
        stock_reserve(
            demands=[
                (level.product_id, level.warehouse_id, 3, 1),
                (level.product_id, level.warehouse_id, 3, 2),
            ],
            document=ORDER,
        )
    assert _snapshot() == before


def test_reserve_refuses_empty_or_bad_demands():
    level = StockLevelFactory(on_hand=5)
    before = _snapshot()
    for demands in (
        [],
        [(level.product_id, level.warehouse_id, 0)],
        [(level.product_id, level.warehouse_id, -2)],
    ):
        with pytest.raises(InvalidStockMovement):
            stock_reserve(demands=demands, document=ORDER)
    assert _snapshot() == before


def test_the_same_reservation_message_twice_reserves_once():
    level = StockLevelFactory(on_hand=10)
    demands = [(level.product_id, level.warehouse_id, 4, 7)]

    first = stock_reserve(demands=demands, document=ORDER, idempotency_key="allocate-1")
    second = stock_reserve(demands=demands, document=ORDER, idempotency_key="allocate-1")

    assert [m.pk for m in first] == [m.pk for m in second]
    assert _balance(level) == (10, 4)
    stock_reserve(demands=demands, document=ORDER, idempotency_key="allocate-2")
    assert _balance(level) == (10, 8)


def test_reserve_available_takes_what_exists_and_returns_the_rest():
    a, b = StockLevelFactory(on_hand=10, reserved=7), StockLevelFactory(on_hand=5)
    missing = ProductFactory()

    result = stock_reserve_available(
        demands=[
            (a.product_id, a.warehouse_id, 5, 1),
            (b.product_id, b.warehouse_id, 2, 2),
            (missing.pk, b.warehouse_id, 1, 3),
        ],
        document=ORDER,
    )

    assert result.reserved == [
        Demand(a.product_id, a.warehouse_id, 3, "1"),
        Demand(b.product_id, b.warehouse_id, 2, "2"),
    ]
    assert result.short == [
        Demand(a.product_id, a.warehouse_id, 2, "1"),
        Demand(missing.pk, b.warehouse_id, 1, "3"),
    ]
    assert (_balance(a), _balance(b)) == ((10, 10), (5, 2))
    assert len(result.movements) == 2


def test_reserve_available_with_nothing_available_writes_nothing():
    level = StockLevelFactory(on_hand=3, reserved=3)
    before = _snapshot()
    result = stock_reserve_available(demands=[(level.product_id, level.warehouse_id, 2)], document=ORDER)
    assert result.reserved == []
    assert result.movements == []
    assert result.short == [Demand(level.product_id, level.warehouse_id, 2, "")]
    assert _snapshot() == before


def test_reserve_available_replayed_returns_the_first_result():
    level = StockLevelFactory(on_hand=3)
    demands = [(level.product_id, level.warehouse_id, 5, 1)]
    first = stock_reserve_available(demands=demands, document=ORDER, idempotency_key="k")
    stock_receive(product_id=level.product_id, warehouse_id=level.warehouse_id, quantity=10)
    again = stock_reserve_available(demands=demands, document=ORDER, idempotency_key="k")
    assert again.reserved == first.reserved
    assert again.short == first.short
    assert _balance(level) == (13, 3)


def test_release_gives_reserved_stock_back():
    level = StockLevelFactory(on_hand=10)
    stock_reserve(demands=[(level.product_id, level.warehouse_id, 6)], document=ORDER)
    (movement,) = stock_release(
        demands=[(level.product_id, level.warehouse_id, 4)], document=ORDER, reason="cancel"
    )
    assert _balance(level) == (10, 2)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (MovementKind.RELEASE, 0, -4)
    assert stock_available(product_ids=[level.product_id]) == {level.product_id: {level.warehouse_id: 8}}


def test_release_more_than_reserved_is_refused_and_changes_nothing():
    level = StockLevelFactory(on_hand=10, reserved=2)
    other = ProductFactory()
    before = _snapshot()
    for demands in ([(level.product_id, level.warehouse_id, 3)], [(other.pk, level.warehouse_id, 1)]):
        with pytest.raises(InsufficientStock):
            stock_release(demands=demands, document=ORDER)
    assert _snapshot() == before


def test_ship_consumes_the_reservation():
    level = StockLevelFactory(on_hand=10)
    stock_reserve(demands=[(level.product_id, level.warehouse_id, 6)], document=ORDER)
    (movement,) = stock_ship(
        demands=[(level.product_id, level.warehouse_id, 6)], document=DocumentRef("logistics.shipment", 3)
    )
    assert _balance(level) == (4, 0)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (MovementKind.SHIPMENT, -6, -6)


def test_ship_without_a_reservation_is_refused_and_changes_nothing():
    level = StockLevelFactory(on_hand=10, reserved=1)
    before = _snapshot()
    with pytest.raises(InsufficientStock):
        stock_ship(demands=[(level.product_id, level.warehouse_id, 2)], document=ORDER)
    assert _snapshot() == before


def test_return_puts_goods_on_hand():
    level = StockLevelFactory(on_hand=1)
    movement = stock_return(
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        quantity=2,
        document=DocumentRef("orders.order", 41),
    )
    assert _balance(level) == (3, 0)
    assert movement.kind == MovementKind.RETURN


def test_a_full_cycle_leaves_no_drift():
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=20)
    stock_reserve(demands=[(product.pk, warehouse.pk, 8)], document=ORDER)
    stock_release(demands=[(product.pk, warehouse.pk, 2)], document=ORDER)
    stock_ship(demands=[(product.pk, warehouse.pk, 6)], document=ORDER)
    stock_return(product_id=product.pk, warehouse_id=warehouse.pk, quantity=1)
    stock_adjust(product_id=product.pk, warehouse_id=warehouse.pk, delta=-5, reason="count")
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (10, 0)
    assert stock_drift() == []


def test_transfer_moves_available_stock_between_warehouses():
    level = StockLevelFactory(on_hand=10, reserved=4)
    target = WarehouseFactory()

    out, into = stock_transfer(
        product_id=level.product_id,
        from_warehouse_id=level.warehouse_id,
        to_warehouse_id=target.pk,
        quantity=6,
    )

    assert _balance(level) == (4, 4)
    assert StockLevel.objects.get(product_id=level.product_id, warehouse=target).on_hand == 6
    assert (out.kind, out.on_hand_delta, into.kind, into.on_hand_delta) == (
        MovementKind.TRANSFER_OUT,
        -6,
        MovementKind.TRANSFER_IN,
        6,
    )


def test_transfer_of_reserved_stock_is_refused_and_changes_nothing():
    level = StockLevelFactory(on_hand=10, reserved=4)
    target = WarehouseFactory()
    before = _snapshot()
    with pytest.raises(InsufficientStock):
        stock_transfer(
            product_id=level.product_id,
            from_warehouse_id=level.warehouse_id,
            to_warehouse_id=target.pk,
            quantity=7,
        )
    with pytest.raises(InvalidStockMovement):
        stock_transfer(
            product_id=level.product_id,
            from_warehouse_id=level.warehouse_id,
            to_warehouse_id=level.warehouse_id,
            quantity=1,
        )
    assert StockMovement.objects.count() == before[1]
    assert _balance(level) == (10, 4)
