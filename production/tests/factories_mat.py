"""Set-ups for the materials, completion and trace tests (H3): a plant with its warehouse, a family
with its category, built products with bills of materials, components in stock, work orders.

Work orders are made here directly (the scheduler's service is tested on its own): their status is
set for the test's set-up, not reached through the lifecycle, like orders.tests.factories.make_order.
"""

import datetime as dt
import itertools

from django.utils import timezone

from inventory.models import Category, StockLevel
from inventory.receipts import expected_receipt_create
from inventory.services import stock_receive
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders.models import Order
from orders.services.allocation import order_allocate
from orders.services.production import order_production_started
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import (
    FamilyCategory,
    Plant,
    ProductFamily,
    WorkOrder,
    WorkOrderMaterial,
    WorkOrderStage,
)
from production.states import StageStatus, TrackingMode, WorkOrderKind, WorkOrderStatus

_numbers = itertools.count(1)
STAGES = (("welding", "Frame welding"), ("painting", "Painting"), ("assembly", "Assembly"))


def make_plant(*, warehouse=None, code: str | None = None) -> Plant:
    n = next(_numbers)
    return Plant.objects.create(
        code=code or f"M{n:02d}",
        name=f"Plant {n}",
        region="Jiangsu",
        warehouse=warehouse if warehouse is not None else WarehouseFactory(),
    )


def make_family(*, tracking: str = TrackingMode.BATCH) -> ProductFamily:
    n = next(_numbers)
    family = ProductFamily.objects.create(code=f"fam-{n}", name=f"Family {n}", tracking=tracking)
    category = Category.objects.create(code=f"famcat-{n}", name=f"Family category {n}")
    FamilyCategory.objects.create(family=family, category=category)
    return family


def make_built_product(*, family: ProductFamily | None = None, made_to_order: bool = True, **kwargs):
    family = family or make_family()
    category = family.category_links.first().category
    return ProductFactory(category=category, made_to_order=made_to_order, **kwargs)


def make_component(*, warehouse=None, on_hand: int = 0, **kwargs):
    component = ProductFactory(**kwargs)
    if on_hand:
        stock_receive(product_id=component.pk, warehouse_id=warehouse.pk, quantity=on_hand)
    return component


def make_work_order(
    *,
    plant: Plant,
    product=None,
    quantity: int = 1,
    order_line=None,
    status: str = WorkOrderStatus.PLANNED,
    planned_start: dt.datetime | None = None,
    materials: dict | None = None,
    stages=STAGES,
    expected_receipt: bool = False,
    warehouse=None,
) -> WorkOrder:
    """A work order of `plant` building `quantity` of `product` (or of `order_line`'s product, for
    its order), needing `materials` {component: units}, with `stages` copied from a routing.

    Status "in_progress": every stage but the last is done and the last one started."""
    product = product or order_line.product
    now = timezone.now()
    work_order = WorkOrder.objects.create(
        number=f"WO-MAT-{next(_numbers):05d}",
        kind=WorkOrderKind.ORDER if order_line is not None else WorkOrderKind.STOCK,
        order=order_line.order if order_line is not None else None,
        order_line=order_line,
        product=product,
        options=order_line.options if order_line is not None else {},
        plant=plant,
        quantity=quantity,
        status=status,
        planned_start=planned_start or now + dt.timedelta(days=1),
        planned_finish=(planned_start or now) + dt.timedelta(days=5),
        warehouse=warehouse or plant.warehouse,
        started_at=now if status != WorkOrderStatus.PLANNED else None,
    )
    if expected_receipt:
        work_order.expected_receipt = expected_receipt_create(
            product_id=product.pk,
            warehouse_id=work_order.warehouse_id,
            quantity=quantity,
            expected_on=timezone.localdate() + dt.timedelta(days=5),
            reference=work_order.number,
        )
        work_order.save(update_fields=["expected_receipt"])
    started = status in (WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.DONE)
    for position, (code, name) in enumerate(stages, start=1):
        last = position == len(stages)
        WorkOrderStage.objects.create(
            work_order=work_order,
            position=position,
            code=code,
            name=name,
            standard_days=1,
            status=(StageStatus.STARTED if last else StageStatus.DONE) if started else StageStatus.PENDING,
            started_at=now - dt.timedelta(hours=len(stages) - position + 1) if started else None,
            finished_at=now - dt.timedelta(hours=len(stages) - position) if started and not last else None,
        )
    for component, units in (materials or {}).items():
        WorkOrderMaterial.objects.create(work_order=work_order, component=component, quantity=units)
    return work_order


def make_mixed_order(*, built_product, stock_product, warehouse, built_quantity: int = 1):
    """An approved order with a stock line (allocated from `warehouse`) and a built line, taken into
    production as the scheduler would; returns the order (in production)."""
    order = make_order(products=[stock_product, built_product], quantities=[1, built_quantity])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.APPROVED, approved_at=timezone.now())
    stock_receive(product_id=stock_product.pk, warehouse_id=warehouse.pk, quantity=1)
    order_allocate(order_id=order.pk)
    order_production_started(order_id=order.pk)
    order.refresh_from_db()
    return order


def stock_of(product, warehouse) -> tuple[int, int]:
    """(on hand, reserved) of a product in a warehouse, 0 when there is no row."""
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return (level.on_hand, level.reserved) if level else (0, 0)
