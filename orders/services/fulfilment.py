"""Fulfilment facts that logistics writes onto orders: shipped quantities, delivery."""

from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from orders import locks
from orders.models import Order, OrderEvent, OrderLine
from orders.services.lifecycle import _move
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus

S = OrderStatus


def order_record_shipped_quantities(
    *, order_id: int, quantities: dict[int, int], actor=None, reference: str = ""
) -> Order:
    """Add shipped quantities to an order's lines and move the order to partially shipped or shipped.

    Preconditions: the order is ready to ship or partially shipped; every key of `quantities` is a
    line of this order and every value a whole number from 1 to what that line has left to ship.
    Side effects, in the caller's transaction: `quantity_shipped` moved with F() under the order
    lock, an `order.lines_shipped` timeline event (`reference` names the shipment), and the status
    change with its own event and on-commit work.
    Raises ValidationFailed (400) for bad lines or quantities and InvalidTransition (409) when the
    order cannot ship in its current status; nothing is written then.
    """
    if not quantities:
        raise ValidationFailed(fields={"quantities": [_("Give at least one line to record.")]})
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        # Every writer of quantity_shipped holds the order lock, so the lines read here stay current.
        lines = {line.pk: line for line in OrderLine.objects.filter(order_id=order.pk)}
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


def order_record_delivered(*, order_id: int, actor=None) -> Order:
    """Mark a fully shipped order delivered once logistics has delivered all its shipments.

    Raises InvalidTransition unless the order is shipped (a no-op when already delivered).
    """
    return _move(order_id, S.DELIVERED, actor=actor)[0]
