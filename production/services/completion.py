"""A finished build: its units get a batch number (and serial numbers when the family is tracked per
unit), its components leave stock, its units enter stock through inventory's receipt service —
reserved to their order for a customer's work order — and the work order is done.

Exactly once, even when the finish arrives twice (a shop-floor retry, two terminals, the admin and a
terminal at once): the work order's row lock serialises the callers and a done work order is
returned unchanged; the unique batch and serial numbers and the ledger's idempotency keys (receipt
"complete", the order's reservation "built:<work order number>", the consumption key) back this up.

Lock order: the work order, the order (through orders.services, before any stock row), the stock
rows of the components and the product (inventory's one global order, taken together up front so
that the consumption and the receipt never lock them in two rounds), the expected receipt.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from core.lifecycle import transition
from core.services import sequence_next
from inventory.receipts import expected_receipt_cancel, expected_receipt_receive
from inventory.services import DocumentRef, stock_lock_rows, stock_receive
from orders.services.production import order_line_production_update, order_line_receive_built
from production.bom import family_for_product
from production.locks import work_order_for_update
from production.models import (
    ProductionBatch,
    SerialNumber,
    WorkOrder,
    WorkOrderMaterial,
)
from production.services.materials import (
    DOCUMENT_TYPE,
    work_order_material_lots_set,
    work_order_materials_consume,
)
from production.states import LIFECYCLE, TrackingMode, WorkOrderKind, WorkOrderStatus

W = WorkOrderStatus
RECEIPT_KEY = "complete"
SERIAL_MAX_LENGTH = SerialNumber._meta.get_field("serial").max_length
SERIAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def _clean_serials(serials: list[str], *, quantity: int) -> list[str]:
    """The shop floor's serials, stripped; ValidationFailed (field "serials") unless exactly
    `quantity` of them, well formed, distinct and new."""
    cleaned = [str(serial).strip() for serial in serials]
    errors = []
    if len(cleaned) != quantity:
        errors.append(
            _("Give exactly %(quantity)d serial numbers, one per unit built (%(given)d given).")
            % {"quantity": quantity, "given": len(cleaned)}
        )
    malformed = [s for s in cleaned if not s or len(s) > SERIAL_MAX_LENGTH or not SERIAL_PATTERN.match(s)]
    if malformed:
        errors.append(
            _(
                "Serial numbers are letters, digits, '.', '/', '-' or '_', starting with a letter or digit, "
                "at most %(max)d characters: %(serials)s."
            )
            % {"max": SERIAL_MAX_LENGTH, "serials": ", ".join(repr(s) for s in malformed)}
        )
    seen, repeated = set(), []
    for serial in cleaned:
        if serial.casefold() in seen:
            repeated.append(serial)
        seen.add(serial.casefold())
    if repeated:
        errors.append(_("Serial numbers given twice: %(serials)s.") % {"serials": ", ".join(repeated)})
    taken = list(SerialNumber.objects.filter(serial__in=cleaned).values_list("serial", flat=True))
    if taken:
        errors.append(_("Serial numbers already used: %(serials)s.") % {"serials": ", ".join(sorted(taken))})
    if errors:
        raise ValidationFailed(fields={"serials": errors})
    return cleaned


def _generated_serials(work_order: WorkOrder, *, quantity: int) -> list[str]:
    """<product SKU>-<yymm>-<n>, n from a counter per product and month (the SKU shortened to fit)."""
    yymm = timezone.localdate().strftime("%y%m")
    product = work_order.product
    serials: list[str] = []
    while len(serials) < quantity:
        wanted = []
        for _unit in range(quantity - len(serials)):
            n = sequence_next(name=f"serial:{product.pk}:{yymm}")
            suffix = f"-{yymm}-{n:05d}"
            wanted.append(f"{product.sku[: SERIAL_MAX_LENGTH - len(suffix)]}{suffix}")
        # A serial typed on the shop floor may already have the same shape: skip it, draw again.
        taken = set(SerialNumber.objects.filter(serial__in=wanted).values_list("serial", flat=True))
        serials += [serial for serial in wanted if serial not in taken]
    return serials


def _batch_number(work_order: WorkOrder) -> str:
    day = timezone.localdate().strftime("%Y%m%d")
    n = sequence_next(name=f"batch:{work_order.plant.code}:{day}")
    return f"B-{work_order.plant.code}-{day}-{n:03d}"


def _receive(work_order: WorkOrder, *, warehouse_id: int, batch: str, actor) -> None:
    """The units enter stock: a make-to-stock work order through its expected receipt (which
    available-to-promise counted until now), else a plain receipt under the work order."""
    receipt = work_order.expected_receipt
    if work_order.kind == WorkOrderKind.STOCK and receipt is not None and not receipt.received:
        if receipt.quantity == work_order.quantity and receipt.product_id == work_order.product_id:
            expected_receipt_receive(receipt_id=receipt.pk, actor=actor)
            return
        # The announcement no longer matches the build (changed after it was made): withdraw it, so
        # available-to-promise does not count the units twice, and receive what was built.
        expected_receipt_cancel(receipt_id=receipt.pk)
    stock_receive(
        product_id=work_order.product_id,
        warehouse_id=warehouse_id,
        quantity=work_order.quantity,
        actor=actor,
        document=DocumentRef(type=DOCUMENT_TYPE, id=work_order.pk),
        reason=batch,
        idempotency_key=RECEIPT_KEY,
    )


def work_order_complete(
    *,
    work_order_id: int,
    actor=None,
    serials: list[str] | None = None,
    lots: dict | None = None,
) -> WorkOrder:
    """Finish a work order in progress: number its units, consume its components, receive its units
    into stock and close it (→ done, progress 100).

    Preconditions: in progress (its last stage has just finished: production.services.progress
    .stage_finish calls this in its transaction). `serials`: for a family tracked per unit, exactly
    one well-formed, new serial number per unit (generated as <SKU>-<yymm>-<n> when not given);
    refused for a family tracked per batch. `lots`: component batches used, {component id or SKU:
    text} (work_order_material_lots_set).

    Side effects: a ProductionBatch (B-<plant>-<yyyymmdd>-<n>) and its SerialNumbers (with the order
    line for a customer's work order); consumption movements; the receipt — make-to-stock: its
    expected receipt received (inventory.receipts), else stock_receive into the work order's
    warehouse; for a customer's work order the units are then reserved to its line
    (orders.services.production.order_line_receive_built), which moves the order to ready to ship
    when every line is; the order line's summary and timeline ("completed", batch); the lifecycle's
    `work_order.done` timeline entry and event.
    Idempotent: a done work order is returned unchanged (serials and lots of a repeat are ignored).
    Raises NotFound; InvalidTransition (not in progress); ValidationFailed (serials, lots; nothing is
    written); MaterialsShort (components the ledger does not hold); Conflict (no receiving warehouse).
    """
    with transaction.atomic():
        work_order = work_order_for_update(work_order_id, related=("plant", "product", "expected_receipt"))
        if work_order.status == W.DONE:
            return work_order
        if work_order.status != W.IN_PROGRESS:
            raise LIFECYCLE.refusal(work_order, W.DONE)
        family = family_for_product(work_order.product)
        per_unit = family is not None and family.tracking == TrackingMode.SERIAL
        if serials and not per_unit:
            raise ValidationFailed(
                fields={"serials": [_("This product is tracked per batch: serial numbers are not recorded.")]}
            )
        given = _clean_serials(serials, quantity=work_order.quantity) if per_unit and serials else None
        warehouse_id = work_order.warehouse_id or work_order.plant.warehouse_id
        if warehouse_id is None:
            raise Conflict(
                _("Work order %(number)s has no warehouse to receive its units into.")
                % {"number": work_order.number}
            )
        if lots:
            work_order_material_lots_set(work_order_id=work_order.pk, lots=lots, actor=actor)
        batch_number = _batch_number(work_order)
        is_order = work_order.kind == WorkOrderKind.ORDER
        if is_order:
            # Takes the order's lock before any stock row (the order-then-stock order of orders' writers).
            order_line_production_update(
                line_id=work_order.order_line_id,
                progress=100,
                stage="",
                step={
                    "event": "completed",
                    "quantity": work_order.quantity,
                    "batch": batch_number,
                    "work_order": work_order.number,
                },
                actor=actor,
            )
        component_ids = list(
            WorkOrderMaterial.objects.filter(work_order_id=work_order.pk).values_list(
                "component_id", flat=True
            )
        )
        stock_lock_rows(
            product_ids=[*component_ids, work_order.product_id],
            warehouse_ids={warehouse_id, work_order.plant.warehouse_id} - {None},
        )
        batch = ProductionBatch.objects.create(
            number=batch_number,
            work_order=work_order,
            plant_id=work_order.plant_id,
            product_id=work_order.product_id,
            quantity=work_order.quantity,
        )
        if per_unit:
            numbers = given or _generated_serials(work_order, quantity=work_order.quantity)
            SerialNumber.objects.bulk_create(
                [
                    SerialNumber(serial=serial, batch=batch, order_line_id=work_order.order_line_id)
                    for serial in numbers
                ]
            )
        work_order_materials_consume(work_order_id=work_order.pk, actor=actor)
        _receive(work_order, warehouse_id=warehouse_id, batch=batch_number, actor=actor)
        if is_order:
            order_line_receive_built(
                line_id=work_order.order_line_id,
                warehouse_id=warehouse_id,
                quantity=work_order.quantity,
                reference=work_order.number,
                actor=actor,
            )
        work_order, _changed = transition(
            LIFECYCLE,
            work_order.pk,
            W.DONE,
            actor=actor,
            data={"batch": batch_number, "quantity": work_order.quantity},
            changes={"progress_percent": 100, "stage": ""},
            locked=work_order,
        )
        return work_order
