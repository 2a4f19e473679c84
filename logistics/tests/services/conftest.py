from collections import defaultdict

import pytest

from core import events
from inventory.tests.factories import ProductFactory
from logistics.models import Carrier
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order


@pytest.fixture
def emitted(monkeypatch):
    """Domain events announced during the test, as (name, payload); other apps' listeners are detached."""
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, **payload: seen.append((name, payload)))
    return seen


@pytest.fixture
def carrier():
    return Carrier.objects.create(code="SF", name="SF Express",
                                  tracking_url_template="https://www.sf-express.com/track?no={number}")


@pytest.fixture
def ready_order():
    """An order ready to ship with one line per quantity given (default: 3 and 2 units)."""

    def make(quantities=(3, 2), status=OrderStatus.READY_TO_SHIP):
        order = make_order(products=[ProductFactory() for _ in quantities], quantities=list(quantities))
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
        return order

    return make

