"""Fulfilment facts that logistics writes onto orders: shipped quantities, delivery."""

from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from inventory.services import DocumentRef, stock_reserve, stock_ship
from orders import locks
from orders.models import LineAllocation, Order, OrderEvent, OrderLine
from orders.services.allocation import DOCUMENT_TYPE, allocation_refresh
from orders.services.commitments import commitments_sync
from orders.services.moves import _move
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus

S = OrderStatus


def order_record_shipped_quantities(
    *,
    order_id: int,
    quantities: dict[int, int],
    actor=None,
    reference: str = "",
    warehouse_id: int | None = None,
) -> Order:
    """Add shipped quantities to an order's lines and move the order to partially shipped or shipped.

    Preconditions: the order is ready to ship or partially shipped; every key of `quantities` is a
    line of this order and every value a whole number from 1 to what that line has left to ship.
    Side effects, in the caller's transaction: `quantity_shipped` moved with F() under the order
    lock, an `order.lines_shipped` timeline event (`reference` names the shipment), and the status
    change with its own event and on-commit work. Stock lines leave `warehouse_id` through
    inventory's ledger (stock_ship): first the units reserved there for the line; a line with less
    reserved there (an order allocated before the ledger existed, a shipment from another warehouse)
    reserves the rest from that warehouse's available stock first, all or nothing, so shipping can
    never take stock that is not there or is promised to another order.
    Raises ValidationFailed (400) for bad lines or quantities or a stock line without a warehouse,
    InsufficientStock (409) when the warehouse cannot cover it, and InvalidTransition (409) when the
    order cannot ship in its current status; nothing is written then.
    """
    if not quantities:
        raise ValidationFailed(fields={"quantities": [_("Give at least one line to record.")]})
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        # Every writer of quantity_shipped holds the order lock, so the lines read here stay current.
        lines = {
            line.pk: line for line in OrderLine.objects.filter(order_id=order.pk).select_related("product")
        }
        errors: dict[str, list[str]] = {}
        for line_id, quantity in quantities.items():
            key = f"quantities.{line_id}"
            line = lines.get(line_id)
            if line is None:
                errors[key] = [_("Not a line of this order.")]
            elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                errors[key] = [_("Enter a whole number greater than zero.")]
            elif quantity > line.quantity - line.quantity_shipped:
                left = line.quantity - line.quantity_shipped
                errors[key] = [_("Only %(left)d left to ship.") % {"left": left}]
        if errors:
            raise ValidationFailed(fields=errors)
        complete = all(
            line.quantity_shipped + quantities.get(pk, 0) == line.quantity for pk, line in lines.items()
        )
        target = S.SHIPPED if complete else S.PARTIALLY_SHIPPED
        if order.status != target and not LIFECYCLE.allows(order, target):
            raise LIFECYCLE.refusal(order, target)
        added = Case(
            *[When(pk=pk, then=Value(quantity)) for pk, quantity in quantities.items()],
            output_field=PositiveIntegerField(),
        )
        _ship_from_stock(
            order, lines, quantities, warehouse_id=warehouse_id, actor=actor, reference=reference
        )
        OrderLine.objects.filter(pk__in=list(quantities)).update(
            quantity_shipped=F("quantity_shipped") + added
        )
        OrderEvent.record(
            order=order,
            kind=OrderEventKind.LINES_SHIPPED,
            actor=actor,
            note=reference,
            data={
                "quantities": {str(pk): qty for pk, qty in sorted(quantities.items())},
                "reference": reference,
            },
        )
        return _move(order.pk, target, actor=actor)[0]


def _ship_from_stock(order, lines, quantities, *, warehouse_id, actor, reference) -> None:
    """Consume the stock lines' reservations in `warehouse_id` (order locked; stock rows locked next)."""
    wanted = {
        pk: qty for pk, qty in quantities.items() if lines[pk].from_stock or lines[pk].quantity_allocated
    }
    if not wanted:
        return
    if warehouse_id is None:
        raise ValidationFailed(
            fields={"warehouse": [_("Name the warehouse the goods leave from: they come from stock.")]}
        )
    held_rows = LineAllocation.objects.filter(
        order_id=order.pk, line_id__in=list(wanted), quantity__gt=F("quantity_shipped")
    ).select_related("warehouse")
    here: dict[int, int] = {}
    elsewhere: dict[int, list[str]] = {}
    for row in held_rows:
        if row.warehouse_id == warehouse_id:
            here[row.line_id] = row.quantity_reserved
        else:
            elsewhere.setdefault(row.line_id, []).append(row.warehouse.code)
    document = DocumentRef(type=DOCUMENT_TYPE, id=order.pk)
    extra, errors = [], {}
    for pk, qty in wanted.items():
        missing = qty - here.get(pk, 0)
        if missing <= 0:
            continue
        if pk in elsewhere:
            # The picked warehouse is the allocated one: units reserved elsewhere ship from there.
            errors[f"quantities.{pk}"] = [
                _("Reserved in %(codes)s: ship it from there.") % {"codes": ", ".join(sorted(elsewhere[pk]))}
            ]
        else:
            extra.append((lines[pk].product_id, warehouse_id, missing, pk))
    if errors:
        raise ValidationFailed(fields=errors)
    if extra:
        # All or nothing: InsufficientStock names the short lines and nothing is written.
        stock_reserve(demands=extra, document=document, actor=actor)
        for _product, wid, qty, pk in extra:
            row, _created = LineAllocation.objects.get_or_create(
                order_id=order.pk, line_id=pk, warehouse_id=wid, defaults={"quantity": 0}
            )
            LineAllocation.objects.filter(pk=row.pk).update(quantity=F("quantity") + qty)
            OrderLine.objects.filter(pk=pk).update(quantity_allocated=F("quantity_allocated") + qty)
        commitments_sync(order_ids=[order.pk])
        allocation_refresh(order=order)  # what was reserved on the way out may fill a backorder
    stock_ship(
        demands=[(lines[pk].product_id, warehouse_id, qty, pk) for pk, qty in wanted.items()],
        document=document,
        actor=actor,
    )
    for pk, qty in wanted.items():
        LineAllocation.objects.filter(order_id=order.pk, line_id=pk, warehouse_id=warehouse_id).update(
            quantity_shipped=F("quantity_shipped") + qty
        )


def order_record_delivered(*, order_id: int, actor=None) -> Order:
    """Mark a fully shipped order delivered once logistics has delivered all its shipments.

    Raises InvalidTransition unless the order is shipped (a no-op when already delivered).
    """
    return _move(order_id, S.DELIVERED, actor=actor)[0]
