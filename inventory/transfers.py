"""Writes for stock transfers between warehouses: requested → shipped (in transit) → received.

Every status change goes through the lifecycle engine (core.lifecycle, table in inventory.states),
which writes the timeline and emits `transfer.<status>`; the stock moves through inventory.services
(`stock_transfer_out` when shipping, `stock_transfer_in` when receiving), in the same transaction,
as ledger rows naming the document "inventory.stocktransfer" with the line as document line.

Locks: the transfer row first, then its stock rows (inventory.locks order). Retries are safe: the
transfer's status is the first guard, the ledger's idempotency key ("ship", "receive") the second.
"""

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ValidationFailed
from core.lifecycle import transition
from core.services import sequence_next
from inventory import locks
from inventory.models import Product, StockTransfer, StockTransferEvent, StockTransferLine, Warehouse
from inventory.services import MAX_QUANTITY, DocumentRef, stock_transfer_in, stock_transfer_out
from inventory.states import LIFECYCLE, TransferEventKind, TransferStatus, can_edit

T = TransferStatus
DOCUMENT_TYPE = "inventory.stocktransfer"
SHIP_KEY = "ship"
RECEIVE_KEY = "receive"


def _document(transfer: StockTransfer) -> DocumentRef:
    return DocumentRef(type=DOCUMENT_TYPE, id=transfer.pk)


def _transfer_number() -> str:
    year = timezone.localtime().year
    return f"TRF-{year}-{sequence_next(name=f'transfer:{year}'):06d}"


def _locked(transfer_id: int) -> StockTransfer:
    transfer = locks.transfer_for_update(transfer_id)
    if transfer is None:
        raise NotFound()
    return transfer


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _clean_lines(lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(product_id, quantity) pairs, checked: known active stock products, each once, 1 ≤ quantity."""
    if not lines:
        raise ValidationFailed(fields={"lines": [_("Give at least one line.")]})
    product_ids = {product_id for product_id, _quantity in lines}
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=[p for p in product_ids if isinstance(p, int)])
    }
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, (product_id, quantity) in enumerate(lines):
        product = products.get(product_id)
        if product is None:
            errors[f"lines[{i}].product"] = [_("Unknown product.")]
        elif not product.is_active or product.made_to_order:
            errors[f"lines[{i}].product"] = [_("This product is not kept in stock.")]
        elif product_id in seen:
            errors[f"lines[{i}].product"] = [_("This product is listed twice.")]
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            errors[f"lines[{i}].quantity"] = [_("Enter a whole number greater than zero.")]
        elif quantity > MAX_QUANTITY:
            errors[f"lines[{i}].quantity"] = [_("Enter at most %(max)d.") % {"max": MAX_QUANTITY}]
        seen.add(product_id)
    if errors:
        raise ValidationFailed(fields=errors)
    return list(lines)


def _clean_warehouses(from_warehouse_id: int, to_warehouse_id: int) -> None:
    errors: dict[str, list[str]] = {}
    active = set(
        Warehouse.objects.filter(pk__in=[from_warehouse_id, to_warehouse_id], is_active=True).values_list(
            "pk", flat=True
        )
    )
    for name, pk in (("from_warehouse", from_warehouse_id), ("to_warehouse", to_warehouse_id)):
        if pk not in active:
            errors[name] = [_("Choose an active warehouse.")]
    if not errors and from_warehouse_id == to_warehouse_id:
        errors["to_warehouse"] = [_("Choose a different warehouse.")]
    if errors:
        raise ValidationFailed(fields=errors)


def transfer_request(
    *,
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Sequence[tuple[int, int]],
    reason: str = "",
    actor=None,
) -> StockTransfer:
    """Ask for goods to move between two active warehouses; nothing moves yet.

    `lines` are `(product_id, quantity)` pairs, each product once. Stock is checked when shipping,
    not now (a request may wait for a receipt at the source).
    Side effects: the transfer (numbered TRF-<year>-nnnnnn), its lines, a `transfer.requested`
    timeline entry and domain event.
    Raises ValidationFailed (400) with field paths `from_warehouse`, `to_warehouse`,
    `lines[i].product`, `lines[i].quantity`; nothing is written then.
    """
    _clean_warehouses(from_warehouse_id, to_warehouse_id)
    lines = _clean_lines(lines)
    with transaction.atomic():
        transfer = StockTransfer.objects.create(
            number=_transfer_number(),
            from_warehouse_id=from_warehouse_id,
            to_warehouse_id=to_warehouse_id,
            reason=(reason or "").strip(),
            requested_by=_actor(actor),
        )
        StockTransferLine.objects.bulk_create(
            [
                StockTransferLine(transfer=transfer, product_id=product_id, quantity=quantity)
                for product_id, quantity in lines
            ]
        )
        StockTransferEvent.record(
            transfer=transfer,
            kind=TransferEventKind.REQUESTED,
            actor=actor,
            to_status=T.REQUESTED,
            note=transfer.reason,
            data={"lines": {str(product_id): quantity for product_id, quantity in lines}},
        )
        LIFECYCLE.announce(transfer, TransferEventKind.REQUESTED)
    return transfer


def transfer_update_lines(*, transfer_id: int, lines: Sequence[tuple[int, int]], actor=None) -> StockTransfer:
    """Replace the lines of a transfer that has not shipped yet.

    Side effects: the new lines and a `transfer.lines_changed` timeline entry (no domain event).
    Raises NotFound (404), Conflict `transfer_not_editable` (409), ValidationFailed (400).
    """
    lines = _clean_lines(lines)
    with transaction.atomic():
        transfer = _locked(transfer_id)
        if not can_edit(transfer.status):
            raise Conflict(
                _("Transfer %(number)s cannot be changed while it is “%(status)s”.")
                % {"number": transfer.number, "status": T(transfer.status).label},
                code="transfer_not_editable",
                extra={"transfer": transfer.number, "status": transfer.status},
            )
        before = dict(transfer.lines.values_list("product_id", "quantity"))
        after = dict(lines)
        if before == after:
            return transfer
        transfer.lines.all().delete()
        StockTransferLine.objects.bulk_create(
            [
                StockTransferLine(transfer=transfer, product_id=product_id, quantity=quantity)
                for product_id, quantity in lines
            ]
        )
        StockTransferEvent.record(
            transfer=transfer,
            kind=TransferEventKind.LINES_CHANGED,
            actor=actor,
            from_status=transfer.status,
            to_status=transfer.status,
            data={
                "before": {str(k): v for k, v in before.items()},
                "after": {str(k): v for k, v in after.items()},
            },
        )
        transfer.save(update_fields=["updated_at"])
    return transfer


def transfer_ship(*, transfer_id: int, actor=None) -> StockTransfer:
    """The goods of a requested transfer leave the source: each line's quantity goes off its on hand.

    All or nothing: every line must be covered by the source's available stock (on hand − reserved);
    reservations of orders are never shipped away. A transfer already shipped is returned unchanged.
    Side effects: `transfer_out` movements, `quantity_shipped` on each line, the `transfer.shipped`
    timeline entry and domain event.
    Raises NotFound (404), InvalidTransition (409), InsufficientStock (409, naming the short lines);
    nothing moves then.
    """
    with transaction.atomic():
        transfer = _locked(transfer_id)
        if transfer.status == T.SHIPPED:
            return transfer
        if not LIFECYCLE.allows(transfer, T.SHIPPED):
            raise LIFECYCLE.refusal(transfer, T.SHIPPED)
        lines = list(transfer.lines.order_by("pk"))
        # The destination's balance rows exist from now on (zero, no movement), so the stock list shows
        # what is on its way to them; created without locks (INSERT … ON CONFLICT DO NOTHING).
        locks.stock_levels_create_missing([(line.product_id, transfer.to_warehouse_id) for line in lines])
        stock_transfer_out(
            demands=[(line.product_id, transfer.from_warehouse_id, line.quantity, line.pk) for line in lines],
            document=_document(transfer),
            actor=actor,
            reason=transfer.number,
            idempotency_key=SHIP_KEY,
        )
        transfer.lines.update(quantity_shipped=F("quantity"))
        transfer, _changed = transition(LIFECYCLE, transfer.pk, T.SHIPPED, actor=actor)
    return transfer


def _received_per_line(lines: list[StockTransferLine], received: Mapping[int, int] | None) -> dict[int, int]:
    """Line id → quantity received: everything shipped unless `received` ({product_id: qty}) says less."""
    if received is None:
        return {line.pk: line.quantity_shipped for line in lines}
    by_product = {line.product_id: line for line in lines}
    errors: dict[str, list[str]] = {}
    for product_id in received:
        if product_id not in by_product:
            errors[f"received.{product_id}"] = [_("Not a product of this transfer.")]
    result = {}
    for line in lines:
        quantity = received.get(line.product_id, line.quantity_shipped)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            errors[f"received.{line.product_id}"] = [_("Enter a whole number, zero or more.")]
        elif quantity > line.quantity_shipped:
            errors[f"received.{line.product_id}"] = [
                _("Only %(shipped)d were shipped.") % {"shipped": line.quantity_shipped}
            ]
        else:
            result[line.pk] = quantity
    if errors:
        raise ValidationFailed(fields=errors)
    return result


def transfer_receive(
    *,
    transfer_id: int,
    actor=None,
    received: Mapping[int, int] | None = None,
    reason: str = "",
) -> StockTransfer:
    """The goods of a shipped transfer arrive at the destination: on hand goes up there.

    By default everything shipped arrives. `received` ({product_id: quantity}) records less for
    some lines; the rest is written off at the destination by an adjustment with `reason`
    (required then). A transfer already received is returned unchanged.
    Side effects: `transfer_in` (and write-off `adjustment`) movements, `quantity_received` on each
    line, the `transfer.received` timeline entry (reason as note) and domain event (product ids and
    the destination, for backorder retries).
    Raises NotFound (404), InvalidTransition (409), ValidationFailed (400); nothing moves then.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        transfer = _locked(transfer_id)
        if transfer.status == T.RECEIVED:
            return transfer
        if not LIFECYCLE.allows(transfer, T.RECEIVED):
            raise LIFECYCLE.refusal(transfer, T.RECEIVED)
        lines = list(transfer.lines.order_by("pk"))
        arrived = _received_per_line(lines, received)
        short = {line.pk: line.quantity_shipped - arrived[line.pk] for line in lines}
        if any(short.values()) and not reason:
            raise ValidationFailed(fields={"reason": [_("Say why less arrived than was shipped.")]})
        to = transfer.to_warehouse_id
        stock_transfer_in(
            demands=[(line.product_id, to, line.quantity_shipped, line.pk) for line in lines],
            write_offs=[(line.product_id, to, short[line.pk], line.pk) for line in lines if short[line.pk]],
            document=_document(transfer),
            actor=actor,
            reason=reason,
            idempotency_key=RECEIVE_KEY,
        )
        for line in lines:
            StockTransferLine.objects.filter(pk=line.pk).update(quantity_received=arrived[line.pk])
        lost = {str(line.product_id): short[line.pk] for line in lines if short[line.pk]}
        transfer, _changed = transition(
            LIFECYCLE,
            transfer.pk,
            T.RECEIVED,
            actor=actor,
            reason=reason,
            data={"written_off": lost} if lost else None,
        )
    return transfer


def transfer_cancel(*, transfer_id: int, reason: str, actor=None) -> StockTransfer:
    """Cancel a transfer that has not shipped; nothing had moved, so nothing moves back.

    Raises ValidationFailed (400) without a reason, NotFound (404), InvalidTransition (409) once
    shipped.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Give a reason for cancelling.")]})
    return transition(LIFECYCLE, transfer_id, T.CANCELLED, actor=actor, reason=reason)[0]
