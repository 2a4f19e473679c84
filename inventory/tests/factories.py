import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from inventory.models import (
    Category,
    MovementKind,
    Product,
    ProductOption,
    ProductOptionValue,
    StockLevel,
    StockMovement,
    Warehouse,
)
from inventory.receipts import expected_receipt_create
from inventory.transfers import transfer_request


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "general"
    name = "General"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    series = "S1"
    category = factory.SubFactory(CategoryFactory)
    unit_cost = Decimal("60.00")
    list_price = Decimal("100.00")
    weight_kg = Decimal("1.000")
    lead_time_days = 10


class ProductOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductOption

    product = factory.SubFactory(ProductFactory)
    code = "colour"
    name = "Colour"


class ProductOptionValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductOptionValue

    option = factory.SubFactory(ProductOptionFactory)
    code = factory.Sequence(lambda n: f"v{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    region = "Guangdong"


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = 100

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """The row with opening movements for its balances, so the ledger agrees (no drift in tests)."""
        level = super()._create(model_class, *args, **kwargs)
        movements = []
        if level.on_hand:
            movements.append(
                StockMovement(
                    kind=MovementKind.ADJUSTMENT,
                    product_id=level.product_id,
                    warehouse_id=level.warehouse_id,
                    on_hand_delta=level.on_hand,
                    reason="opening balance",
                )
            )
        if level.reserved:
            movements.append(
                StockMovement(
                    kind=MovementKind.RESERVATION,
                    product_id=level.product_id,
                    warehouse_id=level.warehouse_id,
                    reserved_delta=level.reserved,
                    reason="opening balance",
                )
            )
        StockMovement.objects.bulk_create(movements)
        return level


def make_transfer(*, quantity: int = 1, **kwargs):
    """A requested transfer of one stocked product to a new warehouse, made by its service."""
    level = StockLevelFactory()
    return transfer_request(
        from_warehouse_id=level.warehouse_id,
        to_warehouse_id=WarehouseFactory().pk,
        lines=[(level.product_id, quantity)],
        **kwargs,
    )


def make_expected_receipt(*, quantity: int = 5, days: int = 3, **kwargs):
    """An announced receipt of a new product into a new warehouse, `days` from today, by its service."""
    return expected_receipt_create(
        product_id=kwargs.pop("product", None) or ProductFactory().pk,
        warehouse_id=kwargs.pop("warehouse", None) or WarehouseFactory().pk,
        quantity=quantity,
        expected_on=timezone.localdate() + dt.timedelta(days=days),
        **kwargs,
    )
