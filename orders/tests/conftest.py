import pytest

from inventory.tests.factories import ProductFactory
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order


@pytest.fixture
def ready_order():
    """An order ready to ship with one line per quantity given (default: 3 and 2 units)."""

    def make(quantities=(3, 2), status=OrderStatus.READY_TO_SHIP):
        order = make_order(products=[ProductFactory() for _ in quantities], quantities=list(quantities))
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
        return order

    return make
