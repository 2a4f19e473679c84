"""A work order's components: reserved in its plant's warehouse when the build starts, released when
it is cancelled, consumed when it is done; and the shortage flags of the work orders still planned.

Every stock change goes through inventory's ledger (inventory.services) under the document
"production.workorder" <work order id>, one ledger line per WorkOrderMaterial (its id), so the ledger
and the materials' `reserved`/`consumed` counters always agree.

Lock order: the work order first, then its materials (primary key order), then the stock rows
(inventory's one global order, taken by its services).

Shortage flags (`WorkOrder.materials_short`): `work_order_materials_reserve` is all or nothing and
raises MaterialsShort when stock is missing; its caller's transaction then rolls back, so the
reservation cannot set the flag itself. The flag belongs to `materials_refresh_shortages`, which
hands the available stock to the planned work orders in planned-start order and flags those left
short. It runs periodically and after stock arrives; an interface that catches MaterialsShort may
call it (in a transaction of its own) to flag at once. A successful reservation clears the flag.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, ValidationFailed
from inventory.errors import InsufficientStock
from inventory.services import DocumentRef, stock_consume, stock_release, stock_reserve
from production.locks import work_order_for_update
from production.models import WorkOrder, WorkOrderEvent, WorkOrderMaterial
from production.selectors.materials import material_coverage
from production.states import OPEN, WorkOrderEventKind, WorkOrderStatus

DOCUMENT_TYPE = "production.workorder"
W = WorkOrderStatus
MAX_LOT_LENGTH = WorkOrderMaterial._meta.get_field("lot_numbers").max_length


class MaterialsShort(Conflict):
    """Not enough components in the plant's warehouse to start (or finish) a work order.

    `extra["lines"]`: one per short component, {"component_id", "sku", "needed", "available"}.
    """

    code = "materials_short"
    default_message = gettext_lazy("Not enough components in stock.")

    def __init__(self, message=None, *, number: str = "", lines: list[dict]):
        if message is None:
            message = _("Not enough components in stock for work order %(number)s: %(components)s.") % {
                "number": number,
                "components": ", ".join(
                    _("%(sku)s (needs %(needed)d, %(available)d available)") % line for line in lines
                ),
            }
        super().__init__(message, extra={"lines": lines})
        self.lines = lines


def document(work_order_id: int) -> DocumentRef:
    return DocumentRef(type=DOCUMENT_TYPE, id=work_order_id)


def _materials_for_update(work_order_id: int) -> list[WorkOrderMaterial]:
    return list(
        WorkOrderMaterial.objects.select_for_update(of=("self",))
        .select_related("component")
        .filter(work_order_id=work_order_id)
        .order_by("pk")
    )


def _warehouse_id(work_order: WorkOrder) -> int:
    if work_order.plant.warehouse_id is None:
        raise Conflict(
            _("Plant %(plant)s has no warehouse to draw components from.") % {"plant": work_order.plant.code}
        )
    return work_order.plant.warehouse_id


def _remaining(material: WorkOrderMaterial) -> int:
    return max(0, material.quantity - material.reserved - material.consumed)


def _reserve_locked(work_order: WorkOrder, materials: list[WorkOrderMaterial], *, actor) -> list[dict]:
    """Reserve every material's remaining need, all or nothing; returns what was reserved."""
    wanted = [(material, _remaining(material)) for material in materials]
    wanted = [(material, quantity) for material, quantity in wanted if quantity]
    if not wanted:
        return []
    warehouse_id = _warehouse_id(work_order)
    by_component = {material.component_id: material for material, _quantity in wanted}
    try:
        # No ledger key: reservations of a work order may be made, released and made again (a
        # cancelled split, a retry); the work order's lock and the counters make a repeat a no-op.
        stock_reserve(
            demands=[(m.component_id, warehouse_id, quantity, m.pk) for m, quantity in wanted],
            document=document(work_order.pk),
            actor=actor,
        )
    except InsufficientStock as exc:
        needed = {m.component_id: quantity for m, quantity in wanted}
        raise MaterialsShort(
            number=work_order.number,
            lines=[
                {
                    "component_id": line["product_id"],
                    "sku": by_component[line["product_id"]].component.sku,
                    "needed": needed[line["product_id"]],
                    "available": line["available"],
                }
                for line in exc.lines
            ],
        ) from exc
    for material, quantity in wanted:
        material.reserved += quantity
    WorkOrderMaterial.objects.bulk_update([material for material, _quantity in wanted], ["reserved"])
    return [
        {"component_id": m.component_id, "sku": m.component.sku, "quantity": quantity}
        for m, quantity in wanted
    ]


def work_order_materials_reserve(*, work_order_id: int, actor=None) -> None:
    """Reserve every component the work order still needs in its plant's warehouse, or nothing.

    Called when the first stage starts (production.services.progress.stage_start), in its
    transaction. Idempotent: what is already reserved or consumed is not asked for again; a closed
    work order reserves nothing. Side effects: reservation movements (document
    "production.workorder", one line per material), `reserved` on the materials, a
    `work_order.materials_reserved` timeline entry, the shortage flag cleared.
    Raises NotFound; MaterialsShort (409) naming each short component (nothing is reserved and the
    flag is not set here: see the module docstring); Conflict when the plant has no warehouse.
    """
    with transaction.atomic():
        work_order = work_order_for_update(work_order_id)
        if work_order.status not in OPEN:
            return
        reserved = _reserve_locked(work_order, _materials_for_update(work_order.pk), actor=actor)
        if work_order.materials_short:
            WorkOrder.objects.filter(pk=work_order.pk).update(materials_short=False)
            work_order.materials_short = False
        if reserved:
            WorkOrderEvent.record(
                work_order=work_order,
                kind=WorkOrderEventKind.MATERIALS_RESERVED,
                actor=actor,
                data={"lines": reserved},
            )


def work_order_materials_release(*, work_order_id: int, actor=None, reason: str = "") -> None:
    """Give back to stock every component reserved for the work order (it is cancelled, or split).

    Idempotent: with nothing reserved it does nothing. Consumed components stay consumed.
    Side effects: release movements, `reserved` set to 0. Raises NotFound.
    """
    with transaction.atomic():
        work_order = work_order_for_update(work_order_id)
        held = [material for material in _materials_for_update(work_order.pk) if material.reserved]
        if not held:
            return
        warehouse_id = _warehouse_id(work_order)
        stock_release(
            demands=[(m.component_id, warehouse_id, m.reserved, m.pk) for m in held],
            document=document(work_order.pk),
            actor=actor,
            reason=reason or work_order.number,
        )
        for material in held:
            material.reserved = 0
        WorkOrderMaterial.objects.bulk_update(held, ["reserved"])


def work_order_materials_consume(*, work_order_id: int, actor=None) -> None:
    """The build is finished: its components leave stock (reserved and on hand both go down).

    What was not reserved yet (a component added after the start) is reserved first, all or nothing,
    so a component the ledger does not hold refuses the completion with MaterialsShort rather than
    driving the balance below zero: book its receipt, then finish again. Idempotent: consumed
    components are not consumed again (the ledger key names the consumed total before the call).
    Side effects: consumption movements; `consumed` up and `reserved` down on the materials.
    Raises NotFound, MaterialsShort, Conflict (no plant warehouse).
    """
    with transaction.atomic():
        work_order = work_order_for_update(work_order_id)
        materials = _materials_for_update(work_order.pk)
        _reserve_locked(work_order, materials, actor=actor)
        held = [material for material in materials if material.reserved]
        if not held:
            return
        warehouse_id = _warehouse_id(work_order)
        stock_consume(
            demands=[(m.component_id, warehouse_id, m.reserved, m.pk) for m in held],
            document=document(work_order.pk),
            actor=actor,
            reason=work_order.number,
            idempotency_key=f"consume:{sum(m.consumed for m in materials)}",
        )
        for material in held:
            material.consumed += material.reserved
            material.reserved = 0
        WorkOrderMaterial.objects.bulk_update(held, ["consumed", "reserved"])


def _lot_targets(materials: list[WorkOrderMaterial], lots: dict) -> dict[int, str]:
    """{material id: lot text} from keys that are component ids or SKUs; ValidationFailed on others."""
    by_id = {material.component_id: material for material in materials}
    by_sku = {material.component.sku.casefold(): material for material in materials}
    targets, unknown, too_long = {}, [], []
    for key, value in lots.items():
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            material = by_id.get(int(key))
        else:
            material = by_sku.get(str(key).strip().casefold())
        if material is None:
            unknown.append(str(key))
            continue
        text = " ".join(str(value or "").split())
        if len(text) > MAX_LOT_LENGTH:
            too_long.append(material.component.sku)
        targets[material.pk] = text
    errors = []
    if unknown:
        errors.append(
            _("Not a component of this work order: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}
        )
    if too_long:
        errors.append(
            _("At most %(max)d characters of batches per component: %(skus)s.")
            % {"max": MAX_LOT_LENGTH, "skus": ", ".join(sorted(too_long))}
        )
    if errors:
        raise ValidationFailed(fields={"lots": errors})
    return targets


def work_order_material_lots_set(*, work_order_id: int, lots: dict, actor=None) -> WorkOrder:
    """Record the component batches the shop floor used: {component id or SKU: "lot text"}.

    The text replaces what was recorded for that component (an empty text clears it); components not
    named keep theirs. Allowed until the work order is cancelled, also after it is done (batches are
    often written up after the finish). Raises NotFound; ValidationFailed (field "lots": a key that is
    not one of its components, a text too long), nothing written then; Conflict (cancelled).
    """
    with transaction.atomic():
        work_order = work_order_for_update(work_order_id)
        if work_order.status == W.CANCELLED:
            raise Conflict(_("Work order %(number)s is cancelled.") % {"number": work_order.number})
        materials = _materials_for_update(work_order.pk)
        targets = _lot_targets(materials, lots or {})
        changed = [m for m in materials if m.pk in targets and m.lot_numbers != targets[m.pk]]
        for material in changed:
            material.lot_numbers = targets[material.pk]
        if changed:
            WorkOrderMaterial.objects.bulk_update(changed, ["lot_numbers"])
        return work_order


def materials_refresh_shortages(*, plant_id: int | None = None) -> int:
    """Flag the planned work orders the component stock cannot cover, clear the others' flags.

    Available stock (on hand − reserved in each plant's warehouse) is handed out in planned-start
    order (production.selectors.materials.material_coverage); a work order left short of any
    component is flagged `materials_short`. Work orders no longer planned (started, done, cancelled)
    lose a stale flag. Bounded: two reads and two UPDATEs, whatever the number of work orders.
    Returns the number of work orders flagged short now.
    """
    short_ids = {cover.work_order_id for cover in material_coverage(plant_id=plant_id) if cover.short}
    scope = WorkOrder.objects.all() if plant_id is None else WorkOrder.objects.filter(plant_id=plant_id)
    with transaction.atomic():
        scope.filter(pk__in=short_ids, materials_short=False).update(materials_short=True)
        scope.filter(Q(materials_short=True) & ~Q(pk__in=short_ids)).update(materials_short=False)
    return len(short_ids)
