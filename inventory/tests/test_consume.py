import pytest

from inventory.errors import InsufficientStock
from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.services import DocumentRef, stock_consume, stock_reserve
from inventory.tests.factories import StockLevelFactory

pytestmark = pytest.mark.django_db
DOC = DocumentRef(type="production.workorder", id=7)


def test_consume_takes_reserved_units_off_hand_as_a_consumption(no_drift):
    level = StockLevelFactory(on_hand=10)
    stock_reserve(demands=[(level.product_id, level.warehouse_id, 4)], document=DOC)

    (movement,) = stock_consume(
        demands=[(level.product_id, level.warehouse_id, 4)], document=DOC, reason="WO-1"
    )

    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (6, 0)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (
        MovementKind.CONSUMPTION,
        -4,
        -4,
    )


def test_consume_more_than_reserved_is_refused_and_moves_nothing(no_drift):
    level = StockLevelFactory(on_hand=10)
    stock_reserve(demands=[(level.product_id, level.warehouse_id, 2)], document=DOC)

    with pytest.raises(InsufficientStock):
        stock_consume(demands=[(level.product_id, level.warehouse_id, 3)], document=DOC)

    assert StockLevel.objects.values_list("on_hand", "reserved").get(pk=level.pk) == (10, 2)
    assert not StockMovement.objects.filter(kind=MovementKind.CONSUMPTION).exists()


def test_consume_with_the_same_key_consumes_once(no_drift):
    level = StockLevelFactory(on_hand=10)
    stock_reserve(demands=[(level.product_id, level.warehouse_id, 4)], document=DOC)

    stock_consume(demands=[(level.product_id, level.warehouse_id, 2)], document=DOC, idempotency_key="k")
    stock_consume(demands=[(level.product_id, level.warehouse_id, 2)], document=DOC, idempotency_key="k")

    assert StockLevel.objects.values_list("on_hand", "reserved").get(pk=level.pk) == (8, 2)
