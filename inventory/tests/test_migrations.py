"""Upgrading gives existing balances opening movements, so the ledger equals them (issue #8).

Fails on main: there was no ledger and no 0003 migration.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inventory.models import MovementKind, StockMovement
from inventory.selectors import stock_drift
from inventory.tests.factories import ProductFactory, WarehouseFactory

BEFORE = [("inventory", "0002_amount_ranges")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_balances_get_opening_movements():
    product, other = ProductFactory(), ProductFactory()
    warehouse = WarehouseFactory()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inventory_stocklevel"
                " (product_id, warehouse_id, on_hand, reserved, reorder_point,"
                " updated_at) VALUES (%s, %s, 40, 15, 0, CURRENT_TIMESTAMP),"
                " (%s, %s, 0, 0, 0, CURRENT_TIMESTAMP)",
                [product.pk, warehouse.pk, other.pk, warehouse.pk],
            )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    movements = StockMovement.objects.order_by("kind").values_list(
        "kind", "product_id", "on_hand_delta", "reserved_delta", "reason"
    )
    assert list(movements) == [
        (MovementKind.ADJUSTMENT, product.pk, 40, 0, "opening balance"),
        (MovementKind.RESERVATION, product.pk, 0, 15, "opening balance"),
    ]
    assert stock_drift() == []
