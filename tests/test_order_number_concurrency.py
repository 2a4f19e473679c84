"""Order numbers stay unique and gap-free when many creators take them at once (PostgreSQL row lock)."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import Sequence
from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory
from orders.models import Channel, Order
from orders.services import order_create
from pricing.services import LineRequest

THREADS = 8
ORDERS_PER_THREAD = 10


@pytest.mark.postgres
def test_concurrent_creators_get_distinct_contiguous_numbers(transactional_db):
    # given one customer and product, and the year's counter as it stands
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    product = ProductFactory()
    year = timezone.localtime().year
    start = Sequence.objects.filter(name=f"order:{year}").values_list("value", flat=True).first() or 0
    barrier = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def create_orders() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(ORDERS_PER_THREAD):
                order_create(
                    customer=customer, channel=Channel.ADMIN, lines=[LineRequest(sku=product.sku, quantity=1)]
                )
        except Exception as exc:  # collected and asserted below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    # when eight threads create ten orders each at the same time
    threads = [threading.Thread(target=create_orders) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then the 80 numbers are distinct and follow on from the counter without a gap
    assert errors == []
    prefix = f"{settings.ORDER_NUMBER_PREFIX}-{year}-"
    numbers = list(Order.objects.filter(customer=customer).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == THREADS * ORDERS_PER_THREAD
    assert all(number.startswith(prefix) for number in numbers)
    assert sorted(int(number.removeprefix(prefix)) for number in numbers) == list(
        range(start + 1, start + THREADS * ORDERS_PER_THREAD + 1)
    )
