"""`manage.py stock_check` and the nightly task find drift between balances and the ledger (issue #8).

Fails on main: neither the ledger nor the command existed.
"""

import logging

import pytest
from django.core.management import call_command
from django.db import connection

from config.schedules import BEAT_SCHEDULE
from inventory.selectors import StockDrift, stock_drift
from inventory.services import stock_receive
from inventory.tasks import stock_check_task
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def _inject_drift(level, *, on_hand):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = %s WHERE id = %s", [on_hand, level.pk])


def test_no_drift_when_every_change_went_through_the_services(capsys):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=5)
    StockLevelFactory(on_hand=7, reserved=2)

    call_command("stock_check")

    assert stock_drift() == []
    assert "equal the ledger" in capsys.readouterr().out


def test_a_raw_update_is_reported_and_the_command_exits_1(capsys):
    level = StockLevelFactory(on_hand=10, reserved=3)
    _inject_drift(level, on_hand=12)

    with pytest.raises(SystemExit) as exited:
        call_command("stock_check")

    assert exited.value.code == 1
    assert stock_drift() == [StockDrift(level.product_id, level.warehouse_id, 12, 3, 10, 3)]
    out = capsys.readouterr().out
    assert f"product {level.product_id} warehouse {level.warehouse_id}: on hand 12 (ledger 10)" in out


def test_ledger_rows_without_a_balance_are_drift():
    level = StockLevelFactory(on_hand=4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_stocklevel WHERE id = %s", [level.pk])
    assert stock_drift() == [StockDrift(level.product_id, level.warehouse_id, 0, 0, 4, 0)]


def test_drift_is_one_query(django_assert_num_queries):
    StockLevelFactory(on_hand=4)
    with django_assert_num_queries(1):
        stock_drift()


def test_the_nightly_task_logs_drift_at_error_level(caplog):
    level = StockLevelFactory(on_hand=10)
    _inject_drift(level, on_hand=9)
    with caplog.at_level(logging.ERROR, logger="inventory.tasks"):
        assert stock_check_task() == 1
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "Stock drift" in caplog.records[0].getMessage()


def test_the_task_is_scheduled():
    assert any(entry["task"] == "inventory.tasks.stock_check_task" for entry in BEAT_SCHEDULE.values())
