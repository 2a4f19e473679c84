"""Traceability (after-sales, a faulty batch): from an order line or a serial number to the batch that
built it — plant, work order, when each stage started and finished, the component batches used —
and back, from a batch to every order that received its units.

What can be traced back, honestly:
- a customer's work order builds for one order line: its batch's units all went to that line;
- serial numbers name their order line when the units were built for an order;
- units made to stock enter the warehouse's common stock (the receipt is listed); the ledger does not
  record which units a later shipment took, so the orders they reached are not known per unit —
  unless the family is serial-tracked and the serial's order line is recorded.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext as _

from inventory.models import MovementKind, StockMovement
from orders.models import Order, OrderLine
from production.models import ProductionBatch, SerialNumber, WorkOrder, WorkOrderMaterial
from production.states import TrackingMode, WorkOrderKind

RECEIPT_DOCUMENTS = ("production.workorder", "inventory.expectedreceipt")


def _batches():
    return ProductionBatch.objects.select_related(
        "plant", "product", "work_order__order__customer", "work_order__order_line"
    )


def _stages(work_order: WorkOrder) -> list[dict]:
    return [
        {
            "position": stage.position,
            "code": stage.code,
            "name": stage.name,
            "status": stage.status,
            "status_label": stage.get_status_display(),
            "planned_start": stage.planned_start,
            "planned_finish": stage.planned_finish,
            "started_at": stage.started_at,
            "finished_at": stage.finished_at,
        }
        for stage in work_order.stages.order_by("position")
    ]


def _components(work_order: WorkOrder) -> list[dict]:
    return [
        {
            "component_id": material.component_id,
            "sku": material.component.sku,
            "name": material.component.name,
            "quantity": material.quantity,
            "consumed": material.consumed,
            "lot_numbers": material.lot_numbers,
            "lots": [lot.strip() for lot in material.lot_numbers.replace(";", ",").split(",") if lot.strip()],
        }
        for material in WorkOrderMaterial.objects.filter(work_order_id=work_order.pk)
        .select_related("component")
        .order_by("component__sku")
    ]


def _line(line: OrderLine) -> dict:
    return {
        "order_id": line.order_id,
        "order_number": line.order.number,
        "customer": line.order.customer.name,
        "customer_code": line.order.customer.code,
        "line_id": line.pk,
        "position": line.position,
        "sku": line.sku,
    }


def _orders_reached(batch: ProductionBatch, serials: list[SerialNumber]) -> list[dict]:
    """Every order line that received units of the batch: through its serials, else its work order."""
    per_line: dict[int, list[str]] = defaultdict(list)
    lines: dict[int, OrderLine] = {}
    for serial in serials:
        if serial.order_line_id is not None:
            per_line[serial.order_line_id].append(serial.serial)
            lines[serial.order_line_id] = serial.order_line
    reached = [
        {**_line(lines[line_id]), "units": len(numbers), "serials": numbers, "via": "serial"}
        for line_id, numbers in per_line.items()
    ]
    work_order = batch.work_order
    if work_order.order_line_id is not None and work_order.order_line_id not in per_line:
        line = work_order.order_line
        line.order = work_order.order
        reached.append({**_line(line), "units": batch.quantity, "serials": [], "via": "work_order"})
    return sorted(reached, key=lambda row: (row["order_number"], row["position"]))


def _receipts(work_order: WorkOrder) -> list[dict]:
    documents = Q(document_type=RECEIPT_DOCUMENTS[0], document_id=str(work_order.pk))
    if work_order.expected_receipt_id is not None:
        documents |= Q(document_type=RECEIPT_DOCUMENTS[1], document_id=str(work_order.expected_receipt_id))
    return [
        {"warehouse": movement.warehouse.code, "quantity": movement.on_hand_delta, "at": movement.created_at}
        for movement in StockMovement.objects.filter(
            documents, kind=MovementKind.RECEIPT, product_id=work_order.product_id
        )
        .select_related("warehouse")
        .order_by("id")
    ]


def _trace(batch: ProductionBatch) -> dict:
    work_order = batch.work_order
    serials = list(batch.serials.select_related("order_line__order__customer").order_by("serial"))
    per_unit = bool(serials)
    orders = _orders_reached(batch, serials)
    limit = ""
    if work_order.kind == WorkOrderKind.STOCK and not any(row["via"] == "serial" for row in orders):
        limit = (
            _(
                "Made to stock: the units entered the warehouse's common stock. The orders they were "
                "shipped to are not recorded per unit (only serial numbers with an order line are)."
            )
            if not per_unit
            else _("Made to stock: none of its serial numbers has been linked to an order line yet.")
        )
    return {
        "batch": {
            "number": batch.number,
            "quantity": batch.quantity,
            "produced_at": batch.produced_at,
            "product_sku": batch.product.sku,
            "product_name": batch.product.name,
            "tracking": TrackingMode.SERIAL if per_unit else TrackingMode.BATCH,
        },
        "plant": {"id": batch.plant_id, "code": batch.plant.code, "name": batch.plant.name},
        "work_order": {
            "id": work_order.pk,
            "number": work_order.number,
            "kind": work_order.kind,
            "kind_label": work_order.get_kind_display(),
            "started_at": work_order.started_at,
            "done_at": work_order.done_at,
            "options": work_order.options,
        },
        "stages": _stages(work_order),
        "components": _components(work_order),
        "serials": [serial.serial for serial in serials],
        "orders": orders,
        "receipts": _receipts(work_order),
        "limit": limit,
    }


def trace_batch(number: str) -> dict | None:
    """A batch: plant, work order, stage timestamps, component batches, serials, and the orders its
    units reached (with the receipt into stock); None when there is no such batch."""
    batch = _batches().filter(number__iexact=(number or "").strip()).first()
    return _trace(batch) if batch is not None else None


def trace_serial(serial: str) -> dict | None:
    """One serial number: its order line (if any) and its batch's whole trace; None when unknown."""
    found = (
        SerialNumber.objects.select_related("order_line__order__customer")
        .filter(serial__iexact=(serial or "").strip())
        .first()
    )
    if found is None:
        return None
    batch = _batches().get(pk=found.batch_id)
    return {
        "serial": found.serial,
        "order_line": _line(found.order_line) if found.order_line_id else None,
        **_trace(batch),
    }


def trace_order_line(line_id: int) -> dict | None:
    """An order line: its work orders (status, stages — also those not finished yet) and the trace of
    every batch that built units for it; None when there is no such line."""
    line = OrderLine.objects.select_related("order__customer").filter(pk=line_id).first()
    if line is None:
        return None
    work_orders = list(
        WorkOrder.objects.filter(order_line_id=line.pk).select_related("plant").order_by("created_at", "pk")
    )
    batches = (
        _batches()
        .filter(Q(work_order__order_line_id=line.pk) | Q(serials__order_line_id=line.pk))
        .distinct()
        .order_by("produced_at", "pk")
    )
    return {
        "line": _line(line),
        "work_orders": [
            {
                "id": work_order.pk,
                "number": work_order.number,
                "status": work_order.status,
                "status_label": work_order.get_status_display(),
                "plant": work_order.plant.code,
                "stages": _stages(work_order),
            }
            for work_order in work_orders
        ],
        "batches": [_trace(batch) for batch in batches],
    }


def trace_search(query: str) -> dict:
    """What the trace page shows for a serial number, a batch number or an order number (tried in that
    order): {"query", "serial": trace | None, "batch": trace | None, "order_lines": [trace, …]}."""
    query = (query or "").strip()
    result = {"query": query, "serial": None, "batch": None, "order_lines": []}
    if not query:
        return result
    result["serial"] = trace_serial(query)
    if result["serial"] is None:
        result["batch"] = trace_batch(query)
    if result["serial"] is None and result["batch"] is None:
        order = Order.objects.filter(number__iexact=query).first()
        if order is not None:
            line_ids = (
                OrderLine.objects.filter(order_id=order.pk)
                .filter(Q(work_orders__isnull=False) | Q(serial_numbers__isnull=False))
                .distinct()
                .order_by("position")
                .values_list("pk", flat=True)
            )
            result["order_lines"] = [trace_order_line(line_id) for line_id in line_ids]
    return result
