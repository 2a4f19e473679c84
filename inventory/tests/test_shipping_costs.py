from decimal import Decimal

import pytest

from inventory.models import WarehouseShippingCost
from inventory.selectors import shipping_costs_to
from inventory.tests.factories import WarehouseFactory


@pytest.mark.django_db
def test_a_regions_own_row_wins_over_the_catch_all_and_warehouses_without_either_are_absent():
    a, b, c = WarehouseFactory(), WarehouseFactory(), WarehouseFactory()
    WarehouseShippingCost.objects.create(
        warehouse=a, region="", per_shipment=Decimal("50"), per_unit=Decimal("2")
    )
    WarehouseShippingCost.objects.create(
        warehouse=a, region="Guangdong", per_shipment=Decimal("30"), per_unit=Decimal("1.5")
    )
    WarehouseShippingCost.objects.create(
        warehouse=b, region="", per_shipment=Decimal("80"), per_unit=Decimal("0")
    )
    WarehouseShippingCost.objects.create(
        warehouse=c, region="Hubei", per_shipment=Decimal("10"), per_unit=Decimal("0")
    )

    costs = shipping_costs_to(region="Guangdong", warehouse_ids=[a.pk, b.pk, c.pk])

    assert costs == {a.pk: (Decimal("30.00"), Decimal("1.50")), b.pk: (Decimal("80.00"), Decimal("0.00"))}
    assert shipping_costs_to(region="Hubei", warehouse_ids=[a.pk, c.pk]) == {
        a.pk: (Decimal("50.00"), Decimal("2.00")),
        c.pk: (Decimal("10.00"), Decimal("0.00")),
    }
