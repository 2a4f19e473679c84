"""Never oversell: eight worker processes reserving the same hot SKUs at once (issue #8).

Each process has its own PostgreSQL connection to the test database; demands name the rows in
random order, so only the locks' global order keeps them free of deadlocks. Fails on main: there was
no reservation service.
"""

import multiprocessing
import random

import pytest
from django.db import connection, connections

from inventory.errors import InsufficientStock
from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.selectors import stock_drift
from inventory.services import (
    DocumentRef,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_reserve_available,
)
from inventory.tests.factories import ProductFactory, WarehouseFactory

PROCESSES = 8
CALLS = 25
ON_HAND = 60


def _worker(number: int, keys: list[tuple[int, int]], results) -> None:
    """One worker process: a mix of all-or-nothing and partial reservations, and some releases."""
    # The forked connection object belongs to the parent: drop it unclosed and open our own.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    rng = random.Random(number)
    reserved = short = 0
    try:
        for call in range(CALLS):
            picked = rng.sample(keys, k=rng.randint(1, len(keys)))
            demands = [(p, w, rng.randint(1, 4), i) for i, (p, w) in enumerate(picked)]
            document = DocumentRef("orders.order", f"{number}-{call}")
            if call % 2:
                result = stock_reserve_available(demands=demands, document=document)
                reserved += sum(d.quantity for d in result.reserved)
                if result.reserved and call % 5 == 0:
                    stock_release(demands=result.reserved[:1], document=document)
                    reserved -= result.reserved[0].quantity
            else:
                try:
                    stock_reserve(demands=demands, document=document)
                    reserved += sum(d[2] for d in demands)
                except InsufficientStock:
                    short += 1
        results.put((number, "ok", reserved, short))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((number, "error", repr(exc), 0))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_oversell_and_leave_no_drift():
    # given three hot SKUs with 60 on hand, one split over two warehouses
    north, south = WarehouseFactory(), WarehouseFactory()
    products = [ProductFactory() for _ in range(3)]
    keys = [(products[0].pk, north.pk), (products[1].pk, north.pk), (products[2].pk, north.pk)]
    keys.append((products[2].pk, south.pk))
    for product_id, warehouse_id in keys:
        stock_receive(product_id=product_id, warehouse_id=warehouse_id, quantity=ON_HAND)
    connection.close()

    # when eight processes reserve on them at once (~25 calls each, demand well above supply)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(n, keys, results)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    # then no worker failed (no deadlock, no check violation), nothing is oversold,
    # what the workers say they reserved is what is reserved, and the ledger equals the balances
    assert [outcome for outcome in outcomes if outcome[1] != "ok"] == []
    levels = list(StockLevel.objects.filter(product__in=products))
    assert all(level.reserved <= level.on_hand == ON_HAND for level in levels)
    assert sum(level.reserved for level in levels) == sum(outcome[2] for outcome in outcomes)
    assert any(level.reserved == level.on_hand for level in levels)  # demand outran supply
    assert StockMovement.objects.filter(kind=MovementKind.RESERVATION).count() > PROCESSES
    assert stock_drift() == []
