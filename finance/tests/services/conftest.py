import pytest

from crm.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order


@pytest.fixture
def shipped_order():
    """An order that can be invoiced (shipped unless told otherwise)."""

    def make(customer=None, status=OrderStatus.SHIPPED, quantities=(2,)):
        order = make_order(
            customer=customer or CustomerFactory(payment_terms_days=45),
            products=[ProductFactory() for _ in quantities],
            quantities=list(quantities),
        )
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
        return order

    return make
