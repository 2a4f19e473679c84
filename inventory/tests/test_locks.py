"""Every service that writes a StockLevel locks the rows first, in (product, warehouse) order (issue #8).

Fails on main: there were no stock services.
"""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory import locks
from inventory.services import (
    DocumentRef,
    stock_adjust,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_reserve_available,
    stock_return,
    stock_ship,
    stock_transfer,
    stock_transfer_in,
    stock_transfer_out,
)
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TABLE = '"inventory_stocklevel"'
ORDER = DocumentRef("orders.order", 1)
TRANSFER = DocumentRef("inventory.stocktransfer", 1)


def _writes_after_locks(queries) -> list[str]:
    """The statements that write inventory_stocklevel, each checked to follow a SELECT … FOR UPDATE
    of the table in the same transaction; returns the writes."""
    locked = False
    writes = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SELECT") and f"FROM {TABLE}" in sql and "FOR UPDATE" in sql:
            locked = True
        if sql.startswith(f"UPDATE {TABLE}"):
            assert locked, f"stock row written before it was locked: {sql}"
            writes.append(sql)
    return writes


def _two_rows():
    warehouse = WarehouseFactory()
    return (
        StockLevelFactory(on_hand=10, product=ProductFactory(), warehouse=warehouse),
        StockLevelFactory(on_hand=10, product=ProductFactory(), warehouse=warehouse),
    )


def _calls(a, b):
    both = [(b.product_id, b.warehouse_id, 1), (a.product_id, a.warehouse_id, 1)]
    new_product = ProductFactory()
    other = WarehouseFactory()
    return {
        "receive": lambda: stock_receive(product_id=a.product_id, warehouse_id=a.warehouse_id, quantity=1),
        "receive (new row)": lambda: stock_receive(
            product_id=new_product.pk, warehouse_id=a.warehouse_id, quantity=1
        ),
        "return": lambda: stock_return(product_id=a.product_id, warehouse_id=a.warehouse_id, quantity=1),
        "adjust": lambda: stock_adjust(
            product_id=a.product_id, warehouse_id=a.warehouse_id, delta=-1, reason="x"
        ),
        "reserve": lambda: stock_reserve(demands=both, document=ORDER),
        "reserve available": lambda: stock_reserve_available(demands=both, document=ORDER),
        "release": lambda: stock_release(demands=both, document=ORDER),
        "ship": lambda: stock_ship(demands=both, document=ORDER),
        "transfer": lambda: stock_transfer(
            product_id=a.product_id, from_warehouse_id=a.warehouse_id, to_warehouse_id=other.pk, quantity=1
        ),
        "transfer out": lambda: stock_transfer_out(demands=both, document=TRANSFER),
        "transfer in": lambda: stock_transfer_in(demands=both, document=TRANSFER),
        "transfer in (write-off)": lambda: stock_transfer_in(
            demands=both,
            write_offs=both[:1],
            reason="lost",
            document=DocumentRef("inventory.stocktransfer", 2),
        ),
    }


def test_every_stock_writer_locks_the_rows_before_writing_them():
    a, b = _two_rows()
    for name, call in _calls(a, b).items():
        with CaptureQueriesContext(connection) as captured:
            call()
        assert _writes_after_locks(captured.captured_queries), f"{name} wrote no stock row"


def test_rows_are_locked_in_product_then_warehouse_order():
    a, b = _two_rows()
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        rows = locks.stock_levels_for_update([(b.product_id, b.warehouse_id), (a.product_id, a.warehouse_id)])
    (select,) = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
    assert re.search(r'ORDER BY .*"product_id" ASC, .*"warehouse_id" ASC', select)
    assert list(rows) == sorted(rows)
