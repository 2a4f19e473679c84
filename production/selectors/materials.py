"""Materials reads: what open work orders still need of their components, how far the stock covers
them, and the purchasing list of what is short.

Coverage is worked out the way the plants will draw the stock: available component stock (on hand −
reserved, in each plant's warehouse) is handed to the planned work orders in planned-start order
(then queue position), so the earliest builds are covered first and the shortage falls on the later
ones. Work orders in progress hold their components already (reserved when their first stage
started), so they are in the reserved figure and need nothing more. Expected receipts are not
counted: a shortage stays on the list until the components are on hand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from inventory.models import Product, StockLevel
from inventory.selectors import stock_available
from production.models import Plant, WorkOrder, WorkOrderMaterial
from production.states import WorkOrderStatus


@dataclass(frozen=True)
class MaterialCover:
    """One planned work order's remaining need of one component, and what of it the stock covers."""

    work_order_id: int
    number: str
    plant_id: int
    warehouse_id: int | None
    planned_start: dt.datetime | None
    component_id: int
    needed: int
    short: int


def material_coverage(*, plant_id: int | None = None) -> list[MaterialCover]:
    """Every planned work order's remaining component needs (of `plant_id`'s, or of every plant),
    with the stock allocated to them in planned-start order. Two queries, whatever the number of
    work orders.

    A plant without a warehouse can draw nothing: its needs are all short. Plants sharing a warehouse
    share its stock, in the one planned-start order; with `plant_id` the other plants' work orders are
    not counted, so the figures are that plant's first call on the stock.
    """
    work_orders = WorkOrder.objects.filter(status=WorkOrderStatus.PLANNED)
    if plant_id is not None:
        work_orders = work_orders.filter(plant_id=plant_id)
    rows = list(
        WorkOrderMaterial.objects.filter(work_order__in=work_orders)
        .order_by(
            F("work_order__planned_start").asc(nulls_last=True),
            "work_order__sequence",
            "work_order_id",
            "component_id",
        )
        .values_list(
            "work_order_id",
            "work_order__number",
            "work_order__plant_id",
            "work_order__plant__warehouse_id",
            "work_order__planned_start",
            "component_id",
            "quantity",
            "reserved",
            "consumed",
        )
    )
    if not rows:
        return []
    available = stock_available(product_ids={row[5] for row in rows})
    pool: dict[tuple[int, int], int] = {}
    covers = []
    for wo_id, number, plant, warehouse_id, start, component_id, quantity, reserved, consumed in rows:
        needed = max(0, quantity - reserved - consumed)
        got = 0
        if needed and warehouse_id is not None:
            key = (component_id, warehouse_id)
            if key not in pool:
                pool[key] = max(0, available.get(component_id, {}).get(warehouse_id, 0))
            got = min(needed, pool[key])
            pool[key] -= got
        covers.append(
            MaterialCover(wo_id, number, plant, warehouse_id, start, component_id, needed, needed - got)
        )
    return covers


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def shortage_list(*, plant_id: int | None = None) -> list[dict]:
    """The purchasing list: per component and plant, the units short, the date they are needed (the
    earliest planned start of a work order they are short for) and those work orders.

    Rows: {"component": Product, "plant": Plant, "quantity_short": int, "date_needed": date | None,
    "work_orders": [{"id", "number", "short", "planned_start"}]}, by date needed then SKU. Four
    queries.
    """
    grouped: dict[tuple[int, int], list[MaterialCover]] = defaultdict(list)
    for cover in material_coverage(plant_id=plant_id):
        if cover.short:
            grouped[(cover.component_id, cover.plant_id)].append(cover)
    if not grouped:
        return []
    components = Product.objects.in_bulk({component_id for component_id, _plant in grouped})
    plants = Plant.objects.in_bulk({plant for _component, plant in grouped})
    result = []
    for (component_id, plant), covers in grouped.items():
        starts = [cover.planned_start for cover in covers if cover.planned_start is not None]
        result.append(
            {
                "component": components[component_id],
                "plant": plants[plant],
                "quantity_short": sum(cover.short for cover in covers),
                "date_needed": _local_date(min(starts)) if starts else None,
                "work_orders": [
                    {
                        "id": cover.work_order_id,
                        "number": cover.number,
                        "short": cover.short,
                        "planned_start": cover.planned_start,
                    }
                    for cover in covers
                ],
            }
        )
    result.sort(key=lambda row: (row["date_needed"] or dt.date.max, row["component"].sku, row["plant"].code))
    return result


def requirements_for_work_order(work_order: WorkOrder) -> list[dict]:
    """One work order's components for its pages: needed, reserved, consumed, still to reserve, what
    is available now in its plant's warehouse, whether that falls short, and the lots recorded.

    "Available" is today's free stock, not the planned-start allocation of `shortage_list`: an
    earlier work order may still take it first. Three queries.
    """
    materials = list(
        WorkOrderMaterial.objects.filter(work_order_id=work_order.pk)
        .select_related("component")
        .order_by("component__sku")
    )
    warehouse_id = Plant.objects.filter(pk=work_order.plant_id).values_list("warehouse_id", flat=True).first()
    available = {}
    if warehouse_id is not None and materials:
        available = dict(
            StockLevel.objects.filter(
                warehouse_id=warehouse_id, product_id__in=[m.component_id for m in materials]
            ).values_list("product_id", F("on_hand") - F("reserved"))
        )
    rows = []
    for material in materials:
        remaining = max(0, material.quantity - material.reserved - material.consumed)
        free = max(0, available.get(material.component_id, 0))
        rows.append(
            {
                "material": material,
                "component": material.component,
                "needed": material.quantity,
                "reserved": material.reserved,
                "consumed": material.consumed,
                "remaining": remaining,
                "available": free,
                "short": max(0, remaining - free),
                "lot_numbers": material.lot_numbers,
            }
        )
    return rows
