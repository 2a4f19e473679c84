"""orders.fulfilment.order_record_shipped_quantities: the orders side of a dispatch."""

import pytest

from core.errors import InvalidTransition, ValidationFailed
from orders.models import OrderEvent
from orders.services import order_record_shipped_quantities
from orders.states import OrderStatus
from orders.tests.factories import factory_warehouse, make_order

S = OrderStatus


def WH() -> int:  # noqa: N802  (the factory warehouse the orders' stock is reserved in)
    return factory_warehouse().pk


def _state(order) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.version,
        list(order.lines.order_by("position").values_list("quantity_shipped", flat=True)),
        OrderEvent.objects.filter(order=order).count(),
    )


@pytest.mark.django_db
def test_quantities_add_up_across_calls():
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP)
    first, second = order.lines.order_by("position").values_list("pk", flat=True)

    order_record_shipped_quantities(
        order_id=order.pk, warehouse_id=WH(), quantities={first: 1}, reference="SHP-1"
    )
    order_record_shipped_quantities(
        order_id=order.pk, warehouse_id=WH(), quantities={first: 1, second: 1}, reference="SHP-2"
    )
    status, _version, shipped, _events = _state(order)

    assert (status, shipped) == (S.PARTIALLY_SHIPPED, [2, 1])
    event = OrderEvent.objects.filter(order=order, kind="order.lines_shipped").order_by("-id").first()
    assert event.data == {"quantities": {str(first): 1, str(second): 1}, "reference": "SHP-2"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantities",
    [
        lambda first, second: {first: 4},
        lambda first, second: {first: 0},
        lambda first, second: {first: 1.5},
        lambda first, second: {second + 1000: 1},
        lambda first, second: {},
    ],
)
def test_bad_quantities_are_refused_and_nothing_is_written(quantities):
    order = make_order(quantities=[3, 2], status=S.READY_TO_SHIP)
    first, second = order.lines.order_by("position").values_list("pk", flat=True)
    before = _state(order)

    with pytest.raises(ValidationFailed):
        order_record_shipped_quantities(
            order_id=order.pk, warehouse_id=WH(), quantities=quantities(first, second)
        )

    assert _state(order) == before


@pytest.mark.django_db
def test_an_order_that_cannot_ship_is_refused_and_nothing_is_written():
    order = make_order(quantities=[3], status=S.ALLOCATED)
    line = order.lines.get()
    before = _state(order)

    with pytest.raises(InvalidTransition):
        order_record_shipped_quantities(order_id=order.pk, warehouse_id=WH(), quantities={line.pk: 3})

    assert _state(order) == before
