"""Stock writes: every change of a balance is a StockMovement written in the same transaction.

Each public service is keyword-only and atomic. It locks the StockLevel rows it moves through
`inventory.locks` (one global order, evaluated before any write), checks the locked balances, moves
them with F() and writes one movement per row and document line. Nothing else writes `on_hand` or
`reserved`.

Idempotency: a call given an `idempotency_key` is done once per (document, kind, key); a repeat
returns the movements of the first call and moves nothing.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from inventory import locks
from inventory.errors import InsufficientStock, InvalidStockMovement
from inventory.models import MovementKind, Product, StockLevel, StockMovement, Warehouse

# Far above any real quantity, far below the 32-bit columns' limit.
MAX_QUANTITY = 100_000_000
OPENING_BALANCE_REASON = "opening balance"


@dataclass(frozen=True)
class DocumentRef:
    """The document that causes a movement, named generically: `type` is "app_label.model"."""

    type: str
    id: str | int
    line_id: str | int = ""


class Demand(NamedTuple):
    """Quantity of one product in one warehouse, optionally for one line of the document."""

    product_id: int
    warehouse_id: int
    quantity: int
    line_id: str | int = ""


@dataclass(frozen=True)
class ReserveResult:
    """What `stock_reserve_available` reserved and what it could not (the shortfall per demand)."""

    reserved: list[Demand] = field(default_factory=list)
    short: list[Demand] = field(default_factory=list)
    movements: list[StockMovement] = field(default_factory=list)


# --- helpers -----------------------------------------------------------------------------------


def _quantity(value, *, name: str = "quantity", allow_negative: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidStockMovement(fields={name: [_("Enter a whole number.")]})
    if value == 0 or (value < 0 and not allow_negative):
        raise InvalidStockMovement(fields={name: [_("Enter a quantity greater than zero.")]})
    if abs(value) > MAX_QUANTITY:
        raise InvalidStockMovement(fields={name: [_("Enter at most %(max)d.") % {"max": MAX_QUANTITY}]})
    return value


def _document(document: DocumentRef | None) -> DocumentRef:
    if document is None:
        return DocumentRef(type="", id="")
    if isinstance(document, tuple):
        document = DocumentRef(*document)
    return document


def _demands(demands: Iterable) -> list[Demand]:
    """Demands as Demand tuples, those for the same row and line merged; refused when empty or bad."""
    merged: dict[tuple, int] = {}
    for raw in demands:
        demand = Demand(*raw)
        quantity = _quantity(demand.quantity, name="demands")
        key = (demand.product_id, demand.warehouse_id, str(demand.line_id or ""))
        merged[key] = merged.get(key, 0) + quantity
    if not merged:
        raise InvalidStockMovement(fields={"demands": [_("Name at least one product and warehouse.")]})
    return [Demand(p, w, q, line) for (p, w, line), q in merged.items()]


def _check_exist(keys: Iterable[locks.Key]) -> None:
    keys = set(keys)
    product_ids = {p for p, _w in keys}
    warehouse_ids = {w for _p, w in keys}
    if Product.objects.filter(pk__in=product_ids).count() != len(product_ids):
        raise InvalidStockMovement(fields={"product": [_("Unknown product.")]})
    if Warehouse.objects.filter(pk__in=warehouse_ids).count() != len(warehouse_ids):
        raise InvalidStockMovement(fields={"warehouse": [_("Unknown warehouse.")]})


def _replayed(
    *, kind: str, document: DocumentRef, idempotency_key: str, keys: Iterable[locks.Key]
) -> list[StockMovement] | None:
    """The movements an earlier call with the same key wrote on these rows, or None.

    Run after taking the rows' locks, so a concurrent first call has committed (or rolled back).
    """
    if not idempotency_key:
        return None
    movements = list(
        StockMovement.objects.filter(
            locks.match(sorted(set(keys))),
            kind=kind,
            document_type=document.type,
            document_id=str(document.id),
            idempotency_key=idempotency_key,
        ).order_by("id")
    )
    return movements or None


def _available(row: StockLevel | None) -> int:
    return row.on_hand - row.reserved if row is not None else 0


def _write(
    *,
    kind: str,
    rows: dict[locks.Key, StockLevel],
    changes: list[tuple[Demand, int, int]],
    document: DocumentRef,
    actor,
    reason: str = "",
    idempotency_key: str = "",
    documents: list[DocumentRef] | None = None,
) -> list[StockMovement]:
    """Move the locked rows by the summed deltas (F(), one UPDATE per row) and write the movements.

    changes: (demand, on_hand_delta, reserved_delta) per movement; `documents`, when given, names each
    change's own document (a batch for several documents), else `document` is every change's.
    A write that makes stock available (a receipt, a return, a transfer in, an upward count, a released
    reservation) emits
    `stock.replenished` naming its products and warehouses: orders waiting on a backorder listen.
    """
    per_row: dict[locks.Key, list[int]] = defaultdict(lambda: [0, 0])
    for demand, on_hand_delta, reserved_delta in changes:
        total = per_row[(demand.product_id, demand.warehouse_id)]
        total[0] += on_hand_delta
        total[1] += reserved_delta
    now = timezone.now()
    replenished: list[locks.Key] = []
    keys = sorted(per_row)
    if len(keys) > 1 and connection.vendor == "postgresql":
        # One statement for every row (the rows are locked already; the order is the global one).
        values = ", ".join(["(%s, %s, %s)"] * len(keys))
        params = [value for key in keys for value in (rows[key].pk, *per_row[key])]
        table = connection.ops.quote_name(StockLevel._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS s SET on_hand = s.on_hand + v.dh, reserved = s.reserved + v.dr, "  # noqa: S608  (table name from the model)
                f"updated_at = %s FROM (VALUES {values}) AS v(id, dh, dr) WHERE s.id = v.id",
                [now, *params],
            )
    else:
        for key in keys:
            on_hand_delta, reserved_delta = per_row[key]
            StockLevel.objects.filter(pk=rows[key].pk).update(
                on_hand=F("on_hand") + on_hand_delta, reserved=F("reserved") + reserved_delta, updated_at=now
            )
    for key in keys:
        on_hand_delta, reserved_delta = per_row[key]
        if on_hand_delta - reserved_delta > 0:
            replenished.append(key)
    if replenished:
        events.emit(
            "stock.replenished",
            kind=kind,
            product_ids=sorted({p for p, _w in replenished}),
            warehouse_ids=sorted({w for _p, w in replenished}),
        )
    actor = actor if getattr(actor, "pk", None) else None
    return StockMovement.objects.bulk_create(
        [
            StockMovement(
                kind=kind,
                product_id=demand.product_id,
                warehouse_id=demand.warehouse_id,
                on_hand_delta=on_hand_delta,
                reserved_delta=reserved_delta,
                reason=reason,
                document_type=doc.type,
                document_id=str(doc.id),
                document_line_id=str(demand.line_id or doc.line_id or ""),
                idempotency_key=idempotency_key,
                actor=actor,
            )
            for (demand, on_hand_delta, reserved_delta), doc in zip(
                changes, documents or [document] * len(changes), strict=True
            )
        ]
    )


def _short_line(key: locks.Key, requested: int, available: int) -> dict:
    return {"product_id": key[0], "warehouse_id": key[1], "requested": requested, "available": available}


# --- receipts, adjustments, returns ---------------------------------------------------------------


def _receive_like(
    *,
    kind: str,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    actor,
    document: DocumentRef | None,
    reason: str,
    idempotency_key: str,
) -> StockMovement:
    quantity = _quantity(quantity)
    document = _document(document)
    key = (product_id, warehouse_id)
    _check_exist([key])
    with transaction.atomic():
        rows = locks.stock_levels_ensure_for_update([key])
        replay = _replayed(kind=kind, document=document, idempotency_key=idempotency_key, keys=[key])
        if replay is not None:
            return replay[0]
        (movement,) = _write(
            kind=kind,
            rows=rows,
            changes=[(Demand(product_id, warehouse_id, quantity), quantity, 0)],
            document=document,
            actor=actor,
            reason=reason.strip(),
            idempotency_key=idempotency_key,
        )
        return movement


def stock_receive(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    actor=None,
    document: DocumentRef | None = None,
    reason: str = "",
    idempotency_key: str = "",
) -> StockMovement:
    """Goods received into a warehouse: on hand goes up by `quantity` (> 0).

    Creates the product's StockLevel row in the warehouse if there is none.
    """
    return _receive_like(
        kind=MovementKind.RECEIPT,
        product_id=product_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        actor=actor,
        document=document,
        reason=reason,
        idempotency_key=idempotency_key,
    )


def stock_return(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    actor=None,
    document: DocumentRef | None = None,
    reason: str = "",
    idempotency_key: str = "",
) -> StockMovement:
    """Goods a customer sent back, put on hand again (`quantity` > 0)."""
    return _receive_like(
        kind=MovementKind.RETURN,
        product_id=product_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        actor=actor,
        document=document,
        reason=reason,
        idempotency_key=idempotency_key,
    )


def stock_adjust(
    *,
    product_id: int,
    warehouse_id: int,
    delta: int,
    reason: str,
    actor=None,
    document: DocumentRef | None = None,
    idempotency_key: str = "",
) -> StockMovement:
    """Correct on hand by `delta` (a count found different, damage, loss); `reason` is required.

    Refused with InsufficientStock when on hand would fall below what is reserved (or below zero).
    """
    delta = _quantity(delta, name="delta", allow_negative=True)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidStockMovement(fields={"reason": [_("An adjustment needs a reason.")]})
    document = _document(document)
    key = (product_id, warehouse_id)
    _check_exist([key])
    with transaction.atomic():
        if delta > 0:
            rows = locks.stock_levels_ensure_for_update([key])
        else:
            rows = locks.stock_levels_for_update([key])
        replay = _replayed(
            kind=MovementKind.ADJUSTMENT, document=document, idempotency_key=idempotency_key, keys=[key]
        )
        if replay is not None:
            return replay[0]
        row = rows.get(key)
        on_hand, reserved = (row.on_hand, row.reserved) if row is not None else (0, 0)
        if on_hand + delta < reserved:
            raise InsufficientStock(
                _("On hand cannot go below what is reserved (%(reserved)d) or below zero.")
                % {"reserved": reserved},
                lines=[_short_line(key, -delta, on_hand - reserved)],
                fields={"delta": [_("At most %(max)d can be taken off.") % {"max": on_hand - reserved}]},
            )
        (movement,) = _write(
            kind=MovementKind.ADJUSTMENT,
            rows=rows,
            changes=[(Demand(product_id, warehouse_id, abs(delta)), delta, 0)],
            document=document,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return movement


# --- reservations ---------------------------------------------------------------------------------


def _need_per_row(demands: list[Demand]) -> dict[locks.Key, int]:
    need: dict[locks.Key, int] = defaultdict(int)
    for demand in demands:
        need[(demand.product_id, demand.warehouse_id)] += demand.quantity
    return need


def stock_reserve(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Reserve every demand `(product_id, warehouse_id, quantity[, line_id])` or nothing.

    Raises InsufficientStock naming each short row (requested, available) when any row cannot cover
    what is asked of it; nothing is reserved then.
    """
    demands = _demands(demands)
    document = _document(document)
    need = _need_per_row(demands)
    with transaction.atomic():
        rows = locks.stock_levels_for_update(need)
        replay = _replayed(
            kind=MovementKind.RESERVATION, document=document, idempotency_key=idempotency_key, keys=need
        )
        if replay is not None:
            return replay
        short = [
            _short_line(key, quantity, max(0, _available(rows.get(key))))
            for key, quantity in sorted(need.items())
            if quantity > _available(rows.get(key))
        ]
        if short:
            raise InsufficientStock(lines=short)
        return _write(
            kind=MovementKind.RESERVATION,
            rows=rows,
            changes=[(demand, 0, demand.quantity) for demand in demands],
            document=document,
            actor=actor,
            idempotency_key=idempotency_key,
        )


def stock_reserve_available(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    idempotency_key: str = "",
    locked: dict | None = None,
) -> ReserveResult:
    """Reserve what is available of each demand, in the order given; report the rest as short.

    Never raises for lack of stock. A repeat with the same key returns the first call's reservations
    (and the shortfall against today's demands) without reserving again. `locked`: the rows the
    caller locked with `stock_lock_rows` in this transaction (and has not moved since), to skip
    locking them again.
    """
    demands = _demands(demands)
    document = _document(document)
    with transaction.atomic():
        need = _need_per_row(demands)
        if locked is not None and set(need) <= set(locked):
            rows = {key: locked[key] for key in need}  # locked by the caller (stock_lock_rows), as read then
        else:
            rows = locks.stock_levels_for_update(need)
        replay = _replayed(
            kind=MovementKind.RESERVATION, document=document, idempotency_key=idempotency_key, keys=need
        )
        if replay is not None:
            done: dict[tuple, int] = defaultdict(int)
            for movement in replay:
                done[(movement.product_id, movement.warehouse_id, movement.document_line_id)] += (
                    movement.reserved_delta
                )
            reserved, short = [], []
            for demand in demands:
                got = min(
                    demand.quantity, done[(demand.product_id, demand.warehouse_id, str(demand.line_id))]
                )
                if got:
                    reserved.append(demand._replace(quantity=got))
                if demand.quantity > got:
                    short.append(demand._replace(quantity=demand.quantity - got))
            return ReserveResult(reserved=reserved, short=short, movements=replay)
        return _reserve_what_is_available([(document, demands)], rows=rows, actor=actor, key=idempotency_key)[
            0
        ]


def stock_reserve_available_many(
    *, requests: list[tuple[DocumentRef, Iterable]], actor=None, locked: dict
) -> list[ReserveResult]:
    """`stock_reserve_available` for several documents at once, served in the order given.

    For a caller that allocates a batch (orders.services.allocation): it locked every row the requests
    name with `stock_lock_rows` in this transaction and planned from them; each request is reserved
    from what the ones before it left, with one UPDATE of the balances and one INSERT of movements for
    the whole batch. No idempotency key: the caller's own state makes a repeat reserve nothing.
    Returns one ReserveResult per request, in order.
    """
    requests = [(_document(document), _demands(demands)) for document, demands in requests]
    if not requests:
        return []
    need = _need_per_row([demand for _document_ref, demands in requests for demand in demands])
    if not set(need) <= set(locked):
        raise RuntimeError("stock_reserve_available_many: lock the rows with stock_lock_rows first")
    with transaction.atomic():
        return _reserve_what_is_available(requests, rows={key: locked[key] for key in need}, actor=actor)


def _reserve_what_is_available(
    requests: list[tuple[DocumentRef, list[Demand]]], *, rows: dict, actor, key: str = ""
) -> list[ReserveResult]:
    """Reserve what the locked `rows` have of each request's demands, request after request."""
    left = {row_key: max(0, _available(row)) for row_key, row in rows.items()}
    served: list[tuple[list[Demand], list[Demand]]] = []
    changes, documents = [], []
    for document, demands in requests:
        reserved, short = [], []
        for demand in demands:
            row_key = (demand.product_id, demand.warehouse_id)
            got = min(demand.quantity, left.get(row_key, 0))
            if got:
                left[row_key] -= got
                reserved.append(demand._replace(quantity=got))
                changes.append((reserved[-1], 0, got))
                documents.append(document)
            if demand.quantity > got:
                short.append(demand._replace(quantity=demand.quantity - got))
        served.append((reserved, short))
    movements = (
        _write(
            kind=MovementKind.RESERVATION,
            rows=rows,
            changes=changes,
            document=documents[0],
            documents=documents,
            actor=actor,
            idempotency_key=key,
        )
        if changes
        else []
    )
    results, start = [], 0
    for reserved, short in served:
        results.append(
            ReserveResult(reserved=reserved, short=short, movements=movements[start : start + len(reserved)])
        )
        start += len(reserved)
    return results


def _consume_reservation(
    *,
    kind: str,
    demands: Iterable,
    document: DocumentRef,
    actor,
    reason: str,
    idempotency_key: str,
    ships: bool,
) -> list[StockMovement]:
    demands = _demands(demands)
    document = _document(document)
    need = _need_per_row(demands)
    with transaction.atomic():
        rows = locks.stock_levels_for_update(need)
        replay = _replayed(kind=kind, document=document, idempotency_key=idempotency_key, keys=need)
        if replay is not None:
            return replay
        short = [
            _short_line(key, quantity, rows[key].reserved if key in rows else 0)
            for key, quantity in sorted(need.items())
            if key not in rows or quantity > rows[key].reserved
        ]
        if short:
            raise InsufficientStock(_("Less is reserved than asked for on some lines."), lines=short)
        return _write(
            kind=kind,
            rows=rows,
            changes=[(demand, -demand.quantity if ships else 0, -demand.quantity) for demand in demands],
            document=document,
            actor=actor,
            reason=(reason or "").strip(),
            idempotency_key=idempotency_key,
        )


def stock_release(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    reason: str = "",
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Give reserved stock back to available (an order cancelled or changed); all or nothing.

    Raises InsufficientStock when a row holds less reserved than asked to release.
    """
    return _consume_reservation(
        kind=MovementKind.RELEASE,
        demands=demands,
        document=document,
        actor=actor,
        reason=reason,
        idempotency_key=idempotency_key,
        ships=False,
    )


def stock_ship(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Reserved goods leave the warehouse: on hand and reserved both go down; all or nothing.

    Raises InsufficientStock when a row holds less reserved than asked to ship.
    """
    return _consume_reservation(
        kind=MovementKind.SHIPMENT,
        demands=demands,
        document=document,
        actor=actor,
        reason="",
        idempotency_key=idempotency_key,
        ships=True,
    )


def stock_consume(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    reason: str = "",
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Reserved goods are used up where they are (components built into a product): on hand and
    reserved both go down, as for a shipment, but the ledger tells the two apart; all or nothing.

    Raises InsufficientStock when a row holds less reserved than asked to consume.
    """
    return _consume_reservation(
        kind=MovementKind.CONSUMPTION,
        demands=demands,
        document=document,
        actor=actor,
        reason=reason,
        idempotency_key=idempotency_key,
        ships=True,
    )


def stock_transfer(
    *,
    product_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: int,
    actor=None,
    document: DocumentRef | None = None,
    reason: str = "",
    idempotency_key: str = "",
) -> tuple[StockMovement, StockMovement]:
    """Move available stock of one product between warehouses: a transfer_out and a transfer_in.

    Raises InsufficientStock when the source has less available (on hand − reserved) than `quantity`.
    """
    quantity = _quantity(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise InvalidStockMovement(fields={"to_warehouse": [_("Choose a different warehouse.")]})
    document = _document(document)
    source, target = (product_id, from_warehouse_id), (product_id, to_warehouse_id)
    _check_exist([source, target])
    with transaction.atomic():
        # The target row may be new; the source must exist. Both are locked in the one global order.
        locks.stock_levels_create_missing([target])
        rows = locks.stock_levels_for_update([source, target])
        replay = _replayed(
            kind=MovementKind.TRANSFER_OUT, document=document, idempotency_key=idempotency_key, keys=[source]
        )
        if replay is not None:
            incoming = _replayed(
                kind=MovementKind.TRANSFER_IN,
                document=document,
                idempotency_key=idempotency_key,
                keys=[target],
            )
            return replay[0], incoming[0]
        available = _available(rows.get(source))
        if quantity > available:
            raise InsufficientStock(lines=[_short_line(source, quantity, max(0, available))])
        common = {"rows": rows, "document": document, "actor": actor, "reason": (reason or "").strip()}
        (out,) = _write(
            kind=MovementKind.TRANSFER_OUT,
            changes=[(Demand(*source, quantity), -quantity, 0)],
            idempotency_key=idempotency_key,
            **common,
        )
        (into,) = _write(
            kind=MovementKind.TRANSFER_IN,
            changes=[(Demand(*target, quantity), quantity, 0)],
            idempotency_key=idempotency_key,
            **common,
        )
        return out, into


def stock_lock_rows(
    *, product_ids: Iterable[int], warehouse_ids: Iterable[int]
) -> dict[locks.Key, StockLevel]:
    """Lock the balances of these products in these warehouses (the one global order) and return them.

    For a caller that decides what to reserve from the balances (order allocation): it locks, plans
    from the rows' on hand − reserved, then reserves with `stock_reserve_available(locked=…)` in the
    same transaction, so the plan sees what the reservation will. A missing row is absent (counts as
    0) and is not created. Must run inside the caller's transaction (the locks last until it ends).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock_lock_rows must run inside a transaction")
    return locks.stock_levels_of_products_for_update(product_ids, warehouse_ids)


# --- transfer documents (inventory.transfers) -----------------------------------------------------


def stock_transfer_out(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    reason: str = "",
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Goods leave their warehouses for another one (a transfer shipped): on hand goes down; all or nothing.

    Each demand `(product_id, warehouse_id, quantity[, line_id])` is taken from what is available
    (on hand − reserved): reservations of other documents are never shipped away.
    Raises InsufficientStock naming each short row; nothing moves then.
    """
    demands = _demands(demands)
    document = _document(document)
    need = _need_per_row(demands)
    with transaction.atomic():
        rows = locks.stock_levels_for_update(need)
        replay = _replayed(
            kind=MovementKind.TRANSFER_OUT, document=document, idempotency_key=idempotency_key, keys=need
        )
        if replay is not None:
            return replay
        short = [
            _short_line(key, quantity, max(0, _available(rows.get(key))))
            for key, quantity in sorted(need.items())
            if quantity > _available(rows.get(key))
        ]
        if short:
            raise InsufficientStock(lines=short)
        return _write(
            kind=MovementKind.TRANSFER_OUT,
            rows=rows,
            changes=[(demand, -demand.quantity, 0) for demand in demands],
            document=document,
            actor=actor,
            reason=(reason or "").strip(),
            idempotency_key=idempotency_key,
        )


def stock_transfer_in(
    *,
    demands: Iterable,
    document: DocumentRef,
    actor=None,
    write_offs: Iterable = (),
    reason: str = "",
    idempotency_key: str = "",
) -> list[StockMovement]:
    """Goods of a transfer arrive: on hand goes up by each demand (rows created when missing).

    `write_offs` `(product_id, warehouse_id, quantity[, line_id])` are what was shipped but did not
    arrive: each is booked in full as arrived and then taken off by an adjustment with `reason`
    (required then), so the ledger shows the loss where it was found.
    """
    demands = _demands(demands)
    write_offs = _demands(write_offs) if write_offs else []
    document = _document(document)
    reason = (reason or "").strip()
    if write_offs and not reason:
        raise InvalidStockMovement(fields={"reason": [_("Say why less arrived than was shipped.")]})
    need = _need_per_row(demands)
    _check_exist(need)
    with transaction.atomic():
        rows = locks.stock_levels_ensure_for_update(need)
        replay = _replayed(
            kind=MovementKind.TRANSFER_IN, document=document, idempotency_key=idempotency_key, keys=need
        )
        if replay is not None:
            return replay
        movements = _write(
            kind=MovementKind.TRANSFER_IN,
            rows=rows,
            changes=[(demand, demand.quantity, 0) for demand in demands],
            document=document,
            actor=actor,
            idempotency_key=idempotency_key,
        )
        if write_offs:
            lost = _need_per_row(write_offs)
            over = [
                _short_line(key, quantity, need.get(key, 0))
                for key, quantity in sorted(lost.items())
                if quantity > need.get(key, 0)
            ]
            if over:
                raise InsufficientStock(_("More is written off than arrived."), lines=over)
            movements += _write(
                kind=MovementKind.ADJUSTMENT,
                rows=rows,
                changes=[(demand, -demand.quantity, 0) for demand in write_offs],
                document=document,
                actor=actor,
                reason=reason,
                idempotency_key=idempotency_key,
            )
        return movements


# Stock alerts live in their own module (this one is long enough); they are inventory's services too.
from inventory.alerts import (  # noqa: E402, F401
    reorder_quantity_suggest,
    stock_alert_notify,
    stock_alert_resolve,
    stock_alerts_evaluate,
)
