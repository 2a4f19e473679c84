"""The range checks apply to a database already holding out-of-range rows (issue #7 item 5).

The rows the issue describes (a −99,999 shipping base fee, an order stored with a −123,999 fee) are
written while the checks are rolled back; migrating forward corrects them and adds the checks.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders.models import Order
from orders.tests.factories import make_order
from pricing.models import ShippingRate, TierDiscount
from pricing.tests.factories import ShippingRateFactory, TierDiscountFactory

# The migration before each app's range checks.
BEFORE = [
    ("crm", "0001_initial"),
    ("inventory", "0001_initial"),
    ("pricing", "0001_initial"),
    ("orders", "0001_initial"),
    ("finance", "0003_pricing_moved_out"),
    ("production", "0001_initial"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db(transaction=True)
def test_rows_out_of_range_are_corrected_when_the_checks_are_added(capsys):
    rate = ShippingRateFactory(region="*")
    gold = TierDiscountFactory(tier="gold")
    order = make_order(products=[ProductFactory(list_price=Decimal("200000.00"))])
    customer = CustomerFactory()
    address = AddressFactory()
    warehouse = WarehouseFactory()
    _migrate(BEFORE)
    try:
        _sql("UPDATE finance_shippingrate SET base_fee = -99999, transit_days = 900 WHERE id = %s", [rate.pk])
        _sql("UPDATE finance_tierdiscount SET percent = 150 WHERE id = %s", [gold.pk])
        _sql(
            "UPDATE orders_order SET shipping_fee = -123999, total = total - 123999 - shipping_fee"
            " WHERE id = %s",
            [order.pk],
        )
        _sql("UPDATE crm_customer SET payment_terms_days = 1000 WHERE id = %s", [customer.pk])
        _sql("UPDATE crm_address SET latitude = 95 WHERE id = %s", [address.pk])
        _sql("UPDATE inventory_warehouse SET longitude = -190 WHERE id = %s", [warehouse.pk])
    finally:
        _migrate(_latest())

    rate = ShippingRate.objects.get(pk=rate.pk)
    assert (rate.base_fee, rate.transit_days) == (Decimal("0.00"), 365)
    assert TierDiscount.objects.get(pk=gold.pk).percent == 100
    order = Order.objects.get(pk=order.pk)
    assert order.shipping_fee == 0
    assert order.total == order.subtotal + order.tax_total
    customer.refresh_from_db()
    address.refresh_from_db()
    warehouse.refresh_from_db()
    assert (customer.payment_terms_days, address.latitude, warehouse.longitude) == (365, None, None)
    assert f"orders.order.shipping_fee: 1 row(s) corrected, ids [{order.pk}]" in capsys.readouterr().out
