"""Factories for progress, shop-floor and portal tests: a work order with its stages, a terminal."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inventory.tests.factories import ProductFactory, WarehouseFactory
from production.models import WorkOrderStage
from production.services.devices import device_create
from production.tests.factories import FamilyCategoryFactory, FamilyFactory, PlantFactory, WorkOrderFactory

# position → (code, name, standard working days)
ROUTING = (
    ("welding", "Frame welding", Decimal("1")),
    ("painting", "Painting", Decimal("0.5")),
    ("assembly", "Assembly", Decimal("2")),
    ("inspection", "Inspection", Decimal("0.5")),
)


def make_work_order(*, routing=ROUTING, planned_start=None, planned_finish=None, tracking=None, **kwargs):
    """A planned work order (for a customer's order line unless `kind="stock"`) with its stages copied
    from `routing`, planned from `planned_start` (default: in a week) to `planned_finish`; `tracking`
    ("serial" or "batch"): its product belongs to a family numbered that way, and the work order
    receives into its plant's warehouse (so it can be completed for real)."""
    if tracking is not None:
        kwargs.setdefault("plant", PlantFactory(warehouse=WarehouseFactory()))
    if kwargs.get("kind") == "stock":
        kwargs.setdefault("order_line", None)
        kwargs.setdefault("order", None)
        kwargs.setdefault("product", ProductFactory())
    start = planned_start or timezone.now() + dt.timedelta(days=7)
    finish = planned_finish or start + dt.timedelta(days=7)
    work_order = WorkOrderFactory(planned_start=start, planned_finish=finish, eta=finish, **kwargs)
    if tracking is not None:
        FamilyCategoryFactory(family=FamilyFactory(tracking=tracking), category=work_order.product.category)
        if work_order.plant.warehouse_id is None:
            work_order.plant.warehouse = WarehouseFactory()
            work_order.plant.save(update_fields=["warehouse"])
        work_order.warehouse = work_order.plant.warehouse
        work_order.save(update_fields=["warehouse"])
    for position, (code, name, days) in enumerate(routing, start=1):
        WorkOrderStage.objects.create(
            work_order=work_order, position=position, code=code, name=name, standard_days=days
        )
    return work_order


def make_device(*, plant=None, name="Line 1 terminal"):
    """A terminal and its token."""
    return device_create(plant_id=(plant or PlantFactory()).pk, name=name)
