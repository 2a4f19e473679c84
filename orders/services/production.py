"""What production tells orders about the lines it builds (STYLE.md §2: summaries are written down).

Production sits above orders: it calls these services, in its own transactions, when it schedules a
work order, records a stage, moves an estimate or finishes a build. Orders keeps on the line where
the build stands (stage, progress, promised and estimated ready dates), tells it on the order's
timeline in words the rep and the dealer read, and moves the order itself: in production once a work
order exists for it, ready to ship once every line is reserved.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core import events
from core.errors import NotFound
from inventory.models import MovementKind, StockMovement
from inventory.services import Demand, DocumentRef, stock_reserve
from orders import locks
from orders.models import Order, OrderEvent, OrderLine
from orders.services.allocation import DOCUMENT_TYPE, _record_reservations, allocation_refresh
from orders.services.moves import _move
from orders.states import OrderEventKind, OrderStatus

S = OrderStatus
K = OrderEventKind
UNSET = object()
# An order production has started on moves to "in production" from these; later statuses (ready to
# ship, partly shipped) keep theirs — a work order added after a change does not move them back.
STARTS_PRODUCTION = frozenset({S.APPROVED, S.ALLOCATED})
# Steps production reports, told on the order's timeline (orders.timeline.production_sentences).
STEPS = frozenset({"scheduled", "stage_started", "stage_finished", "completed", "delayed", "cancelled"})


def order_production_started(*, order_id: int, actor=None) -> Order:
    """A work order now exists for one of the order's lines: approved or allocated → in production.

    The only way an order reaches "in production". Idempotent: an order already in production, or
    past it, or on hold, is returned unchanged. Side effects: the lifecycle's timeline entry and
    `order.in_production` event.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status not in STARTS_PRODUCTION:
            return order
        return _move(order.pk, S.IN_PRODUCTION, actor=actor, locked=order)[0]


def _line_payload(order: Order, line: OrderLine) -> dict:
    return {"line_id": line.pk, "position": line.position, "sku": line.sku}


def order_line_production_update(
    *,
    line_id: int,
    stage: str | None = None,
    progress: int | None = None,
    promised_date=UNSET,
    eta=UNSET,
    step: dict | None = None,
    actor=None,
) -> OrderLine:
    """Write where a built line stands, and tell it on the order's timeline.

    `stage`/`progress`: the current stage's name and the build's percentage; `promised_date`/`eta`:
    dates (None clears); `step`: what happened, told in words — {"event": one of STEPS, "stage": name,
    "work_order": number, …}. When the estimate moves, an `order.eta_changed` timeline entry and event
    (old and new date, the promise) follow, which dealers receive as a webhook.
    Raises NotFound (no such line).
    """
    if step is not None and step.get("event") not in STEPS:
        raise ValueError(f"unknown production step {step!r}")
    with transaction.atomic():
        order_id = OrderLine.objects.filter(pk=line_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise NotFound()
        order = locks.order_for_update(order_id)
        line = OrderLine.objects.get(pk=line_id)
        fields = []
        if stage is not None and stage != line.production_stage:
            line.production_stage, fields = stage[:80], [*fields, "production_stage"]
        if progress is not None and progress != line.production_progress:
            line.production_progress, fields = (
                max(0, min(100, int(progress))),
                [*fields, "production_progress"],
            )
        if promised_date is not UNSET and promised_date != line.promised_date:
            line.promised_date, fields = promised_date, [*fields, "promised_date"]
        previous_eta = line.eta
        if eta is not UNSET and eta != line.eta:
            line.eta, fields = eta, [*fields, "eta"]
        if fields:
            line.save(update_fields=fields)
        base = _line_payload(order, line)
        if step is not None:
            OrderEvent.record(order=order, kind=K.PRODUCTION_PROGRESS, actor=actor, data={**base, **step})
        if "eta" in fields and previous_eta is not None:
            data = {
                **base,
                "eta": _iso(line.eta),
                "previous_eta": _iso(previous_eta),
                "promised_date": _iso(line.promised_date),
            }
            OrderEvent.record(order=order, kind=K.ETA_CHANGED, actor=actor, data=data)
            events.emit(
                K.ETA_CHANGED,
                order_id=order.pk,
                number=order.number,
                customer_id=order.customer_id,
                status=order.status,
                **data,
            )
        return line


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def order_line_receive_built(
    *, line_id: int, warehouse_id: int, quantity: int, reference: str, actor=None
) -> Order:
    """Reserve `quantity` built units of a line to its order in `warehouse_id`, where production has
    just received them (inventory's receipt, in the caller's transaction).

    The reservation is inventory's ledger entry for the order (document "orders.order", the line),
    keyed by `reference` (the work order's number), so a repeat reserves nothing more; what exceeds
    the line's open quantity is not reserved. When every line of the order is then reserved, the
    order moves on to ready to ship (from in production or allocated); when the built lines are but
    stock lines still wait, an order in production moves to allocated (the backorder stays recorded).
    Side effects: LineAllocation rows and `quantity_allocated`, the allocation summary, the move's
    timeline entry and event. Raises NotFound; InsufficientStock if the units are not in the warehouse.
    """
    with transaction.atomic():
        order_id = OrderLine.objects.filter(pk=line_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise NotFound()
        order = locks.order_for_update(order_id)
        line = OrderLine.objects.select_related("product").get(pk=line_id)
        units = min(int(quantity), line.quantity - line.quantity_allocated)
        key = f"built:{reference}"
        # The order's lock orders every writer of its reservations, so this check is not racy.
        done = StockMovement.objects.filter(
            kind=MovementKind.RESERVATION,
            document_type=DOCUMENT_TYPE,
            document_id=str(order.pk),
            idempotency_key=key,
        ).exists()
        # A cancelled (or rejected) order takes nothing: the units stay in stock, free for others.
        if units > 0 and not done and order.status not in (S.CANCELLED, S.REJECTED):
            stock_reserve(
                demands=[(line.product_id, warehouse_id, units, line.pk)],
                document=DocumentRef(type=DOCUMENT_TYPE, id=order.pk),
                actor=actor,
                idempotency_key=key,
            )
            _record_reservations([(order, [Demand(line.product_id, warehouse_id, units, line.pk)], False)])
            allocation_refresh(order=order)
        return _advance(order, actor=actor)


def _advance(order: Order, *, actor) -> Order:
    lines = list(OrderLine.objects.filter(order_id=order.pk).select_related("product"))
    built = [line for line in lines if not line.from_stock]
    if any(line.quantity_allocated < line.quantity for line in built):
        return order
    if all(line.quantity_allocated >= line.quantity for line in lines):
        if order.status in (S.IN_PRODUCTION, S.ALLOCATED):
            return _move(order.pk, S.READY_TO_SHIP, actor=actor, locked=order)[0]
        return order
    if order.status == S.IN_PRODUCTION:
        return _move(order.pk, S.ALLOCATED, actor=actor, locked=order)[0]
    return order
