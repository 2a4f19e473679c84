"""Factories for progress, shop-floor and portal tests: a work order with its stages, a terminal."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inventory.tests.factories import ProductFactory
from production.models import WorkOrderStage
from production.services.devices import device_create
from production.tests.factories import PlantFactory, WorkOrderFactory

# position → (code, name, standard working days)
ROUTING = (
    ("welding", "Frame welding", Decimal("1")),
    ("painting", "Painting", Decimal("0.5")),
    ("assembly", "Assembly", Decimal("2")),
    ("inspection", "Inspection", Decimal("0.5")),
)


def make_work_order(*, routing=ROUTING, planned_start=None, planned_finish=None, **kwargs):
    """A planned work order (for a customer's order line unless `kind="stock"`) with its stages copied
    from `routing`, planned from `planned_start` (default: in a week) to `planned_finish`."""
    if kwargs.get("kind") == "stock":
        kwargs.setdefault("order_line", None)
        kwargs.setdefault("order", None)
        kwargs.setdefault("product", ProductFactory())
    start = planned_start or timezone.now() + dt.timedelta(days=7)
    finish = planned_finish or start + dt.timedelta(days=7)
    work_order = WorkOrderFactory(planned_start=start, planned_finish=finish, eta=finish, **kwargs)
    for position, (code, name, days) in enumerate(routing, start=1):
        WorkOrderStage.objects.create(
            work_order=work_order, position=position, code=code, name=name, standard_days=days
        )
    return work_order


def make_device(*, plant=None, name="Line 1 terminal"):
    """A terminal and its token."""
    return device_create(plant_id=(plant or PlantFactory()).pk, name=name)
