"""Writes for logistics: shipments from creation to delivery, with their timeline.

Every status change goes through the lifecycle engine (core.lifecycle, table in logistics.states).
Shipped quantities and the order's own status are written onto the order through orders' services
(logistics sits above orders). Domain events (`shipment.<kind>`, dispatched on commit) carry
shipment_id, number, order_id, customer_id and status.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from core.lifecycle import transition
from core.services import sequence_next
from logistics import locks
from logistics.models import Carrier, Shipment, ShipmentEvent, ShipmentLine, TrackingEvent
from logistics.states import LIFECYCLE, NOT_DISPATCHED, ShipmentEventKind, ShipmentStatus
from orders.models import OrderLine
from orders.selectors import line_allocations_held
from orders.services import order_record_delivered, order_record_shipped_quantities
from orders.states import OrderStatus

H = ShipmentStatus
S = OrderStatus
SHIPPABLE_ORDER_STATUSES = (S.READY_TO_SHIP, S.PARTIALLY_SHIPPED)


def _shipment_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    return f"SHP-{year}-{sequence_next(name=f'shipment:{year}'):06d}"


def _requested_lines(lines: Sequence[tuple[int, int]], remaining: dict[int, int]) -> list[tuple[int, int]]:
    if not lines:
        raise ValidationFailed(fields={"lines": [_("Give at least one line.")]})
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, (line_id, quantity) in enumerate(lines):
        if line_id not in remaining:
            errors[f"lines[{i}].order_line_id"] = [_("Not a line of this order.")]
        elif line_id in seen:
            errors[f"lines[{i}].order_line_id"] = [_("This line is listed twice.")]
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            errors[f"lines[{i}].quantity"] = [_("Enter a whole number greater than zero.")]
        elif quantity > remaining[line_id]:
            errors[f"lines[{i}].quantity"] = [
                _("Only %(left)d left to ship on this line.") % {"left": remaining[line_id]}
            ]
        seen.add(line_id)
    if errors:
        raise ValidationFailed(fields=errors)
    return list(lines)


def _allocated_warehouse(order_id: int, line_ids: list[int]):
    """The one warehouse where these lines' units are reserved, None when nothing is; the picked
    warehouse is the allocated one. Refuses lines reserved in several warehouses."""
    held = line_allocations_held(order_id=order_id, line_ids=line_ids)
    warehouses = {row.warehouse for row in held}
    if len(warehouses) > 1:
        codes = ", ".join(sorted(w.code for w in warehouses))
        raise ValidationFailed(
            fields={
                "warehouse": [
                    _(
                        "These lines are reserved in several warehouses (%(codes)s): create one "
                        "shipment per warehouse."
                    )
                    % {"codes": codes}
                ]
            }
        )
    return next(iter(warehouses), None)


def _default_lines(order_id: int, remaining: dict[int, int], warehouse) -> list[tuple[int, int]]:
    """Every quantity not yet in a shipment; a line reserved in stock only as far as its units
    reserved in `warehouse` are not yet in a shipment from there."""
    held = line_allocations_held(order_id=order_id, line_ids=list(remaining))
    reserved: dict[int, dict[int, int]] = {}
    for row in held:
        reserved.setdefault(row.line_id, {})[row.warehouse_id] = row.quantity_reserved
    pending = dict(
        ShipmentLine.objects.filter(
            order_line__order_id=order_id,
            shipment__status__in=list(NOT_DISPATCHED),
            shipment__warehouse=warehouse,
        )
        .exclude(shipment__status=H.CANCELLED)
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"))
        .values_list("order_line_id", "quantity")
    )
    wanted = []
    for line_id, left in remaining.items():
        if line_id in reserved:
            here = reserved[line_id].get(getattr(warehouse, "pk", None), 0) - pending.get(line_id, 0)
            left = min(left, here)
        if left > 0:
            wanted.append((line_id, left))
    return wanted


def shipment_create(
    *,
    order_id: int,
    lines: Sequence[tuple[int, int]] | None = None,
    warehouse=None,
    carrier: Carrier | None = None,
    actor=None,
) -> Shipment:
    """Create a pending shipment for (part of) an order.

    `lines` are `(order_line_id, quantity)` pairs; by default every quantity not yet in a
    (non-cancelled) shipment. Preconditions: the order is ready to ship or partially shipped; each
    quantity is at most what its line has left.
    Side effects: the shipment, its lines and a `shipment.created` timeline event.
    Raises Conflict `order_not_shippable` (409), ValidationFailed (400); nothing is written on error.
    """
    if carrier is not None and not carrier.is_active:
        raise ValidationFailed(fields={"carrier": [_("This carrier is not active.")]})
    if warehouse is not None and not warehouse.is_active:
        raise ValidationFailed(fields={"warehouse": [_("This warehouse is not active.")]})
    with transaction.atomic():
        # The order lock serialises creators: two of them must not both take the same quantity.
        order = locks.order_for_update(order_id)
        if order.status not in SHIPPABLE_ORDER_STATUSES:
            raise Conflict(
                _("Order %(number)s cannot be shipped while it is “%(status)s”.")
                % {"number": order.number, "status": S(order.status).label},
                code="order_not_shippable",
                extra={"order": order.number, "status": order.status},
            )
        in_shipments = dict(
            ShipmentLine.objects.filter(order_line__order_id=order.pk)
            .exclude(shipment__status=H.CANCELLED)
            .values("order_line_id")
            .annotate(quantity=Sum("quantity"))
            .values_list("order_line_id", "quantity")
        )
        order_lines = OrderLine.objects.filter(order_id=order.pk).order_by("position")
        remaining = {
            line_id: quantity - in_shipments.get(line_id, 0)
            for line_id, quantity in order_lines.values_list("pk", "quantity")
        }
        if lines is None:
            if warehouse is None:
                warehouse = _allocated_warehouse(order.pk, list(remaining))
            wanted = _default_lines(order.pk, remaining, warehouse)
            if not wanted:
                elsewhere = sorted(
                    {
                        row.warehouse.code
                        for row in line_allocations_held(order_id=order.pk, line_ids=list(remaining))
                        if row.warehouse_id != getattr(warehouse, "pk", None)
                    }
                )
                if elsewhere:
                    raise ValidationFailed(
                        fields={
                            "warehouse": [
                                _("Nothing of this order is reserved here: ship it from %(codes)s.")
                                % {"codes": ", ".join(elsewhere)}
                            ]
                        }
                    )
                raise ValidationFailed(
                    fields={"lines": [_("Everything on this order is already in a shipment.")]}
                )
        else:
            wanted = _requested_lines(lines, remaining)
        if warehouse is None:
            warehouse = _allocated_warehouse(order.pk, [line_id for line_id, _qty in wanted])
        now = timezone.now()
        shipment = Shipment.objects.create(
            number=_shipment_number(now),
            order=order,
            warehouse=warehouse,
            carrier=carrier,
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=quantity)
                for line_id, quantity in wanted
            ]
        )
        ShipmentEvent.record(
            shipment=shipment,
            kind=ShipmentEventKind.CREATED,
            actor=actor,
            to_status=H.PENDING,
            data={"lines": {str(line_id): quantity for line_id, quantity in wanted}},
        )
    return shipment


def shipment_pack(*, shipment_id: int, actor=None) -> Shipment:
    """Mark a pending shipment packed. Raises InvalidTransition (409)."""
    return transition(LIFECYCLE, shipment_id, H.PACKED, actor=actor)[0]


def shipment_cancel(*, shipment_id: int, reason: str, actor=None) -> Shipment:
    """Cancel a shipment that has not left (pending or packed); its quantities can be shipped again.

    Raises ValidationFailed without a reason, InvalidTransition (409) once dispatched.
    """
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    return transition(LIFECYCLE, shipment_id, H.CANCELLED, actor=actor, reason=reason)[0]


def shipment_dispatch(
    *, shipment_id: int, tracking_number: str, carrier_id: int | None = None, actor=None
) -> Shipment:
    """Hand a packed shipment to the carrier: it goes in transit and its quantities count as shipped.

    Preconditions: the shipment is packed; its order is ready to ship or partially shipped. A
    shipment already in transit is returned unchanged (retries are safe).
    Side effects: tracking number (and carrier) saved; the order lines' shipped quantities and the
    order's status (partially shipped / shipped) written through orders; `shipment.dispatched`.
    Raises ValidationFailed (400), InvalidTransition (409) for the shipment or for its order; nothing
    is written on error.
    """
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise ValidationFailed(fields={"tracking_number": [_("This field is required.")]})
    if len(tracking_number) > Shipment._meta.get_field("tracking_number").max_length:
        raise ValidationFailed(fields={"tracking_number": [_("This tracking number is too long.")]})
    carrier = None
    if carrier_id is not None:
        carrier = Carrier.objects.filter(pk=carrier_id, is_active=True).first()
        if carrier is None:
            raise ValidationFailed(fields={"carrier_id": [_("No such active carrier.")]})
    with transaction.atomic():
        current = locks.shipment_for_update(shipment_id)
        if current.status == H.IN_TRANSIT:
            return current
        if current.status != H.PACKED:
            raise LIFECYCLE.refusal(current, H.IN_TRANSIT)
        changes = {"tracking_number": tracking_number}
        if carrier is not None:
            changes["carrier"] = carrier
        shipment, _changed = transition(
            LIFECYCLE,
            shipment_id,
            H.IN_TRANSIT,
            actor=actor,
            changes=changes,
            data={"tracking_number": tracking_number},
        )
        quantities = dict(shipment.lines.values_list("order_line_id", "quantity"))
        order_record_shipped_quantities(
            order_id=shipment.order_id,
            quantities=quantities,
            actor=actor,
            reference=shipment.number,
            warehouse_id=shipment.warehouse_id,
        )
    return shipment


def tracking_event_add(
    *,
    shipment_id: int,
    status: str,
    location: str = "",
    description: str = "",
    occurred_at: dt.datetime | None = None,
) -> TrackingEvent:
    """Record a carrier scan for a dispatched shipment and announce `shipment.tracking_updated`.

    The same scan reported twice (same status and time) is recorded once (carrier retries).
    Raises ValidationFailed (400), Conflict `shipment_not_dispatched` (409).
    """
    status, location = (status or "").strip(), (location or "").strip()
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not status:
        errors["status"] = [_("This field is required.")]
    for name, value in (("status", status), ("location", location), ("description", description)):
        if len(value) > TrackingEvent._meta.get_field(name).max_length:
            errors[name] = [_("This text is too long.")]
    if errors:
        raise ValidationFailed(fields=errors)
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        shipment = locks.shipment_for_update(shipment_id)
        if shipment.status in NOT_DISPATCHED:
            raise Conflict(
                _("Shipment %(number)s has not been dispatched.") % {"number": shipment.number},
                code="shipment_not_dispatched",
                extra={"shipment": shipment.number, "status": shipment.status},
            )
        existing = TrackingEvent.objects.filter(
            shipment=shipment, status=status, occurred_at=occurred_at
        ).first()
        if existing is not None:
            return existing
        event = TrackingEvent.objects.create(
            shipment=shipment,
            status=status,
            location=location,
            description=description,
            occurred_at=occurred_at,
        )
        LIFECYCLE.announce(shipment, ShipmentEventKind.TRACKING_UPDATED)
    return event


def _order_deliver_when_complete(*, order_id: int, actor=None) -> None:
    order = locks.order_for_update(order_id)
    if order.status != S.SHIPPED:
        return
    # Read after taking the order lock, so a delivery committed meanwhile by another shipment is seen.
    statuses = set(
        Shipment.objects.filter(order_id=order_id)
        .exclude(status=H.CANCELLED)
        .values_list("status", flat=True)
    )
    if statuses == {H.DELIVERED}:
        order_record_delivered(order_id=order_id, actor=actor)


def shipment_deliver(*, shipment_id: int, actor=None) -> Shipment:
    """Mark a shipment delivered; when every shipment of a fully shipped order is delivered, the
    order is delivered too.

    Side effects: `shipment.delivered`; possibly the order's move to delivered (with its own event).
    Raises InvalidTransition (409).
    """
    with transaction.atomic():
        shipment, changed = transition(LIFECYCLE, shipment_id, H.DELIVERED, actor=actor)
        if changed:
            _order_deliver_when_complete(order_id=shipment.order_id, actor=actor)
    return shipment
