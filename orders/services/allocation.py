"""Stock allocation of approved orders (issue #8): reserve through inventory's ledger, record why.

One order is allocated in one transaction:

1. lock the order (every writer of an order's allocation holds this lock, so two workers given the
   same order — or the same message twice — queue, and the second finds nothing left to allocate);
2. work out what each stock line still needs (`quantity - quantity_allocated`; built-to-order lines
   are production's and never taken from stock);
3. lock the balances of those products in every active warehouse (inventory.services
   .stock_lock_rows, the one global row order) and plan with inventory.allocation
   .plan_allocation — one nearest warehouse, else the fewest, else reserve what exists and backorder;
4. reserve exactly the plan through inventory.services.stock_reserve_available (the ledger), write
   the order's LineAllocation rows and line summaries, the decision (`Order.allocation`) and the
   status: `allocated` when everything is reserved, or when part is and the customer accepts partial
   shipments; otherwise the order stays approved with its backorder recorded (`order.backordered`).

Nothing slow happens under the stock locks: no mail, no HTTP; follow-up work listens to the events.
Locks are always taken order first, stock rows second (allocation, release, shipping alike).

Backorders are retried in priority order (the stored score, then the older approval) whenever stock
becomes available (`stock.replenished`, emitted by inventory for receipts, returns, transfers in,
upward counts and released reservations) and by a periodic sweep.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from core import events
from core.db import bulk_increment, bulk_update_rows
from core.lifecycle import transition_many
from inventory import allocation as planner
from inventory.allocation import PlanReason
from inventory.models import Warehouse
from inventory.selectors import shipping_cost_table, shipping_costs_to
from inventory.services import DocumentRef, stock_lock_rows, stock_release, stock_reserve_available_many
from orders import locks
from orders.models import AllocationStatus, LineAllocation, Order, OrderEvent, OrderLine
from orders.services.commitments import commitments_sync
from orders.services.moves import _move
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus

S = OrderStatus
A = AllocationStatus
K = OrderEventKind
DOCUMENT_TYPE = "orders.order"
# Statuses in which an order's stock lines may (still) be reserved: the first allocation after
# approval, and backorders filled later while the order is being produced or partly shipped.
ALLOCATABLE = frozenset({S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION, S.READY_TO_SHIP, S.PARTIALLY_SHIPPED})
WAITING = frozenset({A.PARTIAL, A.BACKORDERED})
logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class AllocationOutcome:
    order: Order
    reserved: int  # units reserved by this call
    backordered: int  # units of stock lines still waiting after it
    changed: bool


def document(order_id: int) -> DocumentRef:
    return DocumentRef(type=DOCUMENT_TYPE, id=order_id)


def _destination(order: Order) -> planner.Destination | None:
    address = order.shipping_address or {}
    lat, lon = address.get("latitude"), address.get("longitude")
    if lat in (None, "") or lon in (None, ""):
        return None
    try:
        return planner.Destination(latitude=float(lat), longitude=float(lon))
    except (TypeError, ValueError):
        return None


_network_cache: tuple[float, list[planner.Warehouse], dict] | None = None


def _network() -> tuple[list[planner.Warehouse], dict[tuple[int, str], tuple]]:
    """The active warehouses and the shipping-cost table ({(warehouse_id, region): cost}).

    Read at most every ALLOCATION_WAREHOUSE_CACHE_SECONDS per process: a backlog allocates thousands
    of orders a minute, and a warehouse opened or closed, or a cost changed, is seen soon after.
    """
    global _network_cache  # noqa: PLW0603  (a per-process read cache)
    now = time.monotonic()
    ttl = settings.ALLOCATION_WAREHOUSE_CACHE_SECONDS
    if _network_cache is not None and now - _network_cache[0] < ttl:
        return _network_cache[1], _network_cache[2]
    warehouses = [
        planner.Warehouse(id=w.pk, code=w.code, latitude=w.latitude, longitude=w.longitude)
        for w in Warehouse.objects.filter(is_active=True).order_by("code")
    ]
    costs = shipping_cost_table()
    _network_cache = (now, warehouses, costs)
    return warehouses, costs


def _costs_to(order: Order, warehouses, table) -> dict[int, planner.ShippingCost] | None:
    """Each warehouse's cost to the order's region; None when the table has nothing for this
    destination, so the planner ranks by distance."""
    costs = shipping_costs_to(
        region=(order.shipping_address or {}).get("region", ""),
        warehouse_ids=[warehouse.id for warehouse in warehouses],
        table=table,
    )
    return {
        wid: planner.ShippingCost(per_shipment=ps, per_unit=pu) for wid, (ps, pu) in costs.items()
    } or None


def _status_of(stock_lines: list[OrderLine], allocated: dict[int, int]) -> str:
    if not stock_lines:
        return A.NOT_NEEDED
    short = sum(line.quantity - allocated[line.pk] for line in stock_lines)
    if short == 0:
        return A.ALLOCATED
    return A.PARTIAL if any(allocated[line.pk] for line in stock_lines) else A.BACKORDERED


def _held_by_warehouse(order_id: int) -> dict[int, dict[str, int]]:
    """{line_id: {warehouse code: units reserved there, shipped ones included}} for the whole order."""
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for line_id, code, quantity in LineAllocation.objects.filter(
        order_id=order_id, quantity__gt=0
    ).values_list("line_id", "warehouse__code", "quantity"):
        held[line_id][code] = quantity
    return held


def _line_totals(decision: dict, held: dict[str, int], backordered: int) -> dict:
    """A line reserved over several runs (a backorder filled later), described by its totals."""
    names = ", ".join(sorted(held))
    total = sum(held.values())
    if backordered:
        reason = planner.LineReason.PARTIAL_BACKORDER
        params = {"allocated": total, "warehouses": names, "backordered": backordered}
    elif len(held) == 1:
        before = decision.get("params", {})
        km = before.get("distance_km") if before.get("warehouse") == names else None
        reason = planner.LineReason.ONE_WAREHOUSE
        params = {"quantity": total, "warehouse": names, "distance_km": km}
    else:
        reason, params = planner.LineReason.SPLIT, {"quantity": total, "warehouses": names}
    return {"reason": str(reason), "params": params}


def _order_totals(result: dict, order: Order, held: dict[int, dict[str, int]], short: int) -> None:
    """Describe the whole order by what it holds (all warehouses) and lacks, in place of the last plan."""
    names = ", ".join(sorted({code for per_line in held.values() for code in per_line}))
    if short:
        reason = (
            PlanReason.PARTIAL_BACKORDER
            if order.accepts_partial_shipments
            else PlanReason.PARTIAL_NOT_ACCEPTED
        )
        result.update(
            reason=str(reason),
            params={"warehouses": names, "backordered": short},
            ships_now=order.accepts_partial_shipments,
        )
    elif "," in names:
        result.update(
            reason=str(PlanReason.SPLIT_FEWEST_WAREHOUSES), params={"warehouses": names}, ships_now=True
        )
    elif names and result.get("params", {}).get("warehouse") != names:
        result.update(
            reason=str(PlanReason.SINGLE_WAREHOUSE_NEAREST),
            params={"warehouse": names, "distance_km": None},
            ships_now=True,
        )


def _decision(order: Order, plan: planner.Plan, stock_lines, allocated, codes, earlier: int) -> dict:
    """The decision stored on the order: the plan's reason, and per line why and what is short.

    `earlier` counts the units reserved before this run: when a backorder is filled later the plan
    covers only the new units, so lines and order are then described by what they hold in total.
    """
    previous = (order.allocation or {}).get("lines", {})
    held = _held_by_warehouse(order.pk) if earlier else {}
    lines = {}
    planned = {d.line_id: d for d in plan.lines}
    for line in stock_lines:
        key = str(line.pk)
        entry = dict(previous.get(key, {}))
        decision = planned.get(line.pk)
        if decision is not None:
            entry = {"reason": str(decision.reason), "params": dict(decision.params)}
        backordered = line.quantity - allocated[line.pk]
        if earlier and held.get(line.pk) and (decision is not None or not entry):
            entry = _line_totals(entry, held[line.pk], backordered)
        entry["backordered"] = backordered
        lines[key] = entry
    result = {
        "at": timezone.now().isoformat(),
        "lines": lines,
        "warehouses": {str(wid): code for wid, code in codes.items()},
        "reason": str(plan.reason),
        "params": dict(plan.params),
        "ships_now": plan.ships_now,
    }
    if earlier:
        short = sum(line.quantity - allocated[line.pk] for line in stock_lines)
        _order_totals(result, order, held, short)
    return result


def _short_lines(stock_lines: list[OrderLine], allocated: dict[int, int]) -> list[dict]:
    return [
        {"line_id": line.pk, "sku": line.sku, "quantity_short": line.quantity - allocated[line.pk]}
        for line in stock_lines
        if line.quantity > allocated[line.pk]
    ]


def order_allocate(*, order_id: int, actor=None) -> AllocationOutcome:
    """Reserve stock for what an order's stock lines still need, and record the decision.

    Preconditions: none — an order that is not in an allocatable status (approved, allocated, in
    production, ready to ship, partially shipped), has nothing left to reserve, or (a retry) finds
    nothing more to reserve, is returned unchanged (`changed` False: no write, no version bump), so
    redelivered messages and sweeps are harmless.
    Side effects, in one transaction: stock reservations in inventory's ledger (document
    "orders.order", line ids), LineAllocation rows and `quantity_allocated`, `allocation_status` and
    `allocation` on the order, version bumped; approved → allocated through the lifecycle
    (`order.allocated`) when everything is reserved or part is and partial shipments are accepted;
    a timeline entry and `order.backordered` (with the short lines) when a backorder is recorded or
    grows; a "backorder filled" entry when a retry reserves more for an allocated order.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        return _allocate_locked([order], actor=actor)[0]


def orders_allocate_backlog(
    *, order_id: int | None = None, batch: int | None = None, actor=None
) -> list[AllocationOutcome]:
    """Allocate `order_id` and, in the same transaction, the most urgent approved orders allocation has
    not looked at yet, up to `batch` (ALLOCATION_BATCH_SIZE) in all; returns their outcomes.

    The `order.approved` message is a wake-up: the backlog is taken from the database most urgent first
    (priority, then the older approval), so a burst of approvals is allocated in batches and in
    priority order, and the messages for orders a batch already took find nothing to do (one indexed
    read, no transaction, no lock: the orders still waiting each have their own message). Orders other
    workers hold are skipped (SKIP LOCKED), never waited for; `order_id` itself is locked first and
    waited for (the only blocking order lock, so no two batches wait on each other). Each order is
    decided as `order_allocate` decides it, with one set of writes for the batch. A batch that fails
    for a reason of its own (not the database's) is retried one order per transaction, so one bad
    order never holds up the others; database errors (a lost connection) are raised for the task to retry.
    """
    size = max(1, batch or settings.ALLOCATION_BATCH_SIZE)
    if order_id is not None and not _may_need_stock(order_id):
        # A batch took this order already (or it never needs stock): every order still waiting has
        # its own message coming (or the sweep), so after a burst of approvals most messages cost
        # this one indexed read, outside any transaction.
        return []
    try:
        with transaction.atomic():
            return _allocate_locked(_claim_backlog(order_id, size), actor=actor)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("allocation batch failed; allocating its orders one by one")
    with transaction.atomic():
        ids = [order.pk for order in _claim_backlog(order_id, size)]
    outcomes = []
    for pk in ids:
        try:
            outcomes.append(order_allocate(order_id=pk, actor=actor))
        except DatabaseError:
            raise
        except Exception:
            logger.exception("allocation of order %s failed", pk)
    return outcomes


def _claim_backlog(order_id: int | None, size: int) -> list[Order]:
    """Lock `order_id` (waiting for it), and up to size − 1 of the most urgent unallocated approved orders
    no one else holds; most urgent first, `order_id` in its place among them."""
    claimed = []
    if order_id is not None:
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is not None:
            claimed.append(order)
    if size > len(claimed):
        claimed += list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=S.APPROVED, allocation_status=A.NONE)
            .exclude(pk=order_id)
            .order_by(*URGENCY)[: size - len(claimed)]
        )
    return sorted(claimed, key=_urgency)


def _may_need_stock(order_id: int) -> bool:
    state = Order.objects.filter(pk=order_id).values_list("status", "allocation_status").first()
    return state is not None and state[0] in ALLOCATABLE and state[1] in UNSEEN


# What a wake-up is for: an order allocation has not looked at yet, or whose reservations were all
# released (sent back for changes, then approved again). Once allocation has decided about an order,
# what it still lacks is the backorder retries' (stock.replenished, the sweep), and a changed line is
# allocated by the change itself.
UNSEEN = frozenset({A.NONE, A.RELEASED})


# Most urgent first: the stored priority, then the older approval (never approved: last), then the number.
URGENCY = ("-priority", F("approved_at").asc(nulls_last=True), "pk")


def _urgency(order: Order) -> tuple:
    approved = order.approved_at.timestamp() if order.approved_at else float("inf")
    return (-order.priority, approved, order.pk)


@dataclasses.dataclass
class _Work:
    """One order of a batch: what its stock lines hold and need, then what this run decided."""

    order: Order
    stock_lines: list[OrderLine]
    allocated: dict[int, int]
    need: dict[int, int]
    earlier: int
    plan: planner.Plan | None = None
    reserved: int = 0


def _allocate_locked(orders: list[Order], *, actor) -> list[AllocationOutcome]:
    """Allocate orders locked by the caller in this transaction, in the order given (most urgent first).

    Each order is decided as if alone, against the stock the ones before it left; the writes are
    made once for all: one lock of the stock rows, one UPDATE of the balances and one INSERT of ledger
    movements, allocation rows, timeline entries and events for the batch.
    """
    outcomes: dict[int, AllocationOutcome] = {}
    lines_of: dict[int, list[OrderLine]] = defaultdict(list)
    open_ids = [order.pk for order in orders if order.status in ALLOCATABLE]
    if open_ids:
        for line in (
            OrderLine.objects.filter(order_id__in=open_ids)
            .select_related("product")
            .order_by("order_id", "position")
        ):
            lines_of[line.order_id].append(line)
    work: list[_Work] = []
    for order in orders:
        if order.status not in ALLOCATABLE:
            outcomes[order.pk] = AllocationOutcome(order=order, reserved=0, backordered=0, changed=False)
            continue
        stock_lines = [line for line in lines_of[order.pk] if line.from_stock]
        allocated = {line.pk: line.quantity_allocated for line in stock_lines}
        need = {line.pk: line.quantity - line.quantity_allocated for line in stock_lines}
        need = {pk: qty for pk, qty in need.items() if qty > 0}
        if need:
            work.append(_Work(order, stock_lines, allocated, need, earlier=sum(allocated.values())))
        else:
            outcomes[order.pk] = _nothing_to_reserve(order, stock_lines, allocated, actor=actor)
    if work:
        outcomes.update(_reserve_and_record(work, actor=actor))
    return [outcomes[order.pk] for order in orders]


def _nothing_to_reserve(order: Order, stock_lines, allocated, *, actor) -> AllocationOutcome:
    before = _status_of(stock_lines, allocated)
    if order.allocation_status != before:
        order.allocation_status = before
        order.save(update_fields=["allocation_status", "updated_at"])
    if order.status == S.APPROVED and before == A.ALLOCATED and stock_lines:
        order = _move(order.pk, S.ALLOCATED, actor=actor)[0]
    return AllocationOutcome(order=order, reserved=0, backordered=0, changed=False)


def _reserve_and_record(work: list[_Work], *, actor) -> dict[int, AllocationOutcome]:
    warehouses, cost_table = _network()
    codes = {w.id: w.code for w in warehouses}
    products_of = {
        item.order.pk: {line.product_id for line in item.stock_lines if line.pk in item.need} for item in work
    }
    locked_rows = stock_lock_rows(product_ids=set().union(*products_of.values()), warehouse_ids=list(codes))
    available = {key: max(0, row.on_hand - row.reserved) for key, row in locked_rows.items()}
    keys_of: dict[int, list] = defaultdict(list)  # product → its (product, warehouse) keys
    for key in available:
        keys_of[key[0]].append(key)
    requests = []
    for item in work:
        by_pk = {line.pk: line for line in item.stock_lines}
        products = products_of[item.order.pk]
        item.plan = planner.plan_allocation(
            lines=[
                planner.Line(line_id=pk, product_id=by_pk[pk].product_id, quantity=qty)
                for pk, qty in item.need.items()
            ],
            # This order's products only, as the orders before it in the batch left them.
            stock={key: available[key] for product in products for key in keys_of.get(product, ())},
            warehouses=warehouses,
            destination=_destination(item.order),
            costs=_costs_to(item.order, warehouses, cost_table),
            accepts_partial=item.order.accepts_partial_shipments,
        )
        demands = [
            (decision.product_id, part.warehouse_id, part.quantity, decision.line_id)
            for decision in item.plan.lines
            for part in decision.allocations
        ]
        for product_id, warehouse_id, quantity, _line in demands:
            available[(product_id, warehouse_id)] -= quantity
        if demands:
            requests.append((item, demands))
    results = stock_reserve_available_many(
        requests=[(document(item.order.pk), demands) for item, demands in requests],
        actor=actor,
        locked=locked_rows,
    )
    _record_reservations(
        [
            (item.order, result.reserved, not item.earlier)
            for (item, _d), result in zip(requests, results, strict=True)
        ]
    )
    for (item, _demands), result in zip(requests, results, strict=True):
        for demand in result.reserved:
            item.allocated[int(demand.line_id)] += demand.quantity
            item.reserved += demand.quantity
    return _record_decisions(work, codes, actor=actor)


def _record_decisions(work: list[_Work], codes: dict[int, str], *, actor) -> dict[int, AllocationOutcome]:
    """Store each order's decision and status, move the ones that can ship to allocated, and say what
    is backordered: one write of each kind for the batch."""
    outcomes: dict[int, AllocationOutcome] = {}
    moving, decided, staying, entries, announced = [], {}, [], [], []
    for item in work:
        order, plan = item.order, item.plan
        after = _status_of(item.stock_lines, item.allocated)
        short_lines = _short_lines(item.stock_lines, item.allocated)
        backordered = sum(line["quantity_short"] for line in short_lines)
        ships = after == A.ALLOCATED or (after == A.PARTIAL and order.accepts_partial_shipments)
        moves = order.status == S.APPROVED and ships
        if not item.reserved and not moves and order.allocation and after == order.allocation_status:
            # A retry that found nothing new: no write, no version bump (an edit holding the order's
            # version must not fail because a backorder sweep passed by).
            outcomes[order.pk] = AllocationOutcome(
                order=order, reserved=0, backordered=backordered, changed=False
            )
            continue
        was_short = _recorded_short(order)
        decision = _decision(order, plan, item.stock_lines, item.allocated, codes, item.earlier)
        summary = {
            "reason": str(plan.reason),
            "reserved": item.reserved,
            "backordered": backordered,
            "warehouses": [codes[w] for w in plan.warehouse_ids],
        }
        if moves:
            # The decision rides on the status change (the engine bumps the version).
            moving.append(order)
            decided[order.pk] = (summary, {"allocation": decision, "allocation_status": after})
        else:
            # The row is locked: the version is bumped here, not re-read.
            order.allocation, order.allocation_status, order.version = decision, after, order.version + 1
            order.updated_at = timezone.now()
            staying.append(order)
            if item.reserved and order.status != S.APPROVED:
                entries.append(
                    OrderEvent.build(order=order, kind=K.BACKORDER_FILLED, actor=actor, data=summary)
                )
        if backordered > was_short:  # a new backorder (or one that grew): said once, not on every retry
            announced.append((order, short_lines, summary))
        outcomes[order.pk] = AllocationOutcome(
            order=order, reserved=item.reserved, backordered=backordered, changed=True
        )
    if moving:
        transition_many(
            LIFECYCLE,
            moving,
            S.ALLOCATED,
            actor=actor,
            data={pk: summary for pk, (summary, _changes) in decided.items()},
            changes={pk: changes for pk, (_summary, changes) in decided.items()},
        )
    if staying:
        bulk_update_rows(staying, ["allocation", "allocation_status", "version", "updated_at"])
    if entries:
        OrderEvent.objects.bulk_create(entries)
    _announce_backorders(announced, actor=actor)
    return outcomes


def order_allocate_now(*, order_id: int, actor=None) -> Order:
    """The admin's "Allocate stock": run allocation at once for an approved order; returns the order.

    Raises InvalidTransition (409) unless the order is approved or in production (what allocation
    may move on); a backorder is not an error — the order stays approved with it recorded.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status not in (S.APPROVED, S.IN_PRODUCTION):
            raise LIFECYCLE.refusal(order, S.ALLOCATED)
        return order_allocate(order_id=order_id, actor=actor).order


def _announce_backorder(order: Order, *, actor, short_lines: list[dict], summary: dict) -> None:
    _announce_backorders([(order, short_lines, summary)], actor=actor)


def _announce_backorders(announced: list[tuple[Order, list[dict], dict]], *, actor) -> None:
    """A timeline entry and an `order.backordered` event per order (with its short lines)."""
    if not announced:
        return
    OrderEvent.objects.bulk_create(
        [
            OrderEvent.build(
                order=order, kind=K.BACKORDERED, actor=actor, data={**summary, "lines": short_lines}
            )
            for order, short_lines, summary in announced
        ]
    )
    events.emit_many(
        [
            (
                K.BACKORDERED,
                {
                    "order_id": order.pk,
                    "number": order.number,
                    "customer_id": order.customer_id,
                    "status": order.status,
                    "lines": [
                        {"sku": item["sku"], "quantity_short": item["quantity_short"]} for item in short_lines
                    ],
                },
            )
            for order, short_lines, summary in announced
        ]
    )


def _record_reservations(batch: list[tuple[Order, list, bool]]) -> None:
    """Add reserved units to the LineAllocation rows and the lines' `quantity_allocated` (orders locked).

    batch: (order, reserved demands, fresh) per order; `fresh`: the order had no reservation at all
    before this run, so it has no rows yet.
    """
    per_row: dict[tuple[int, int, int], int] = defaultdict(int)  # (order, line, warehouse) → units
    per_line: dict[int, int] = defaultdict(int)
    stale: set[int] = set()  # orders that may hold rows already
    for order, reserved, fresh in batch:
        for demand in reserved:
            per_row[(order.pk, int(demand.line_id), demand.warehouse_id)] += demand.quantity
            per_line[int(demand.line_id)] += demand.quantity
        if not fresh:
            stale.add(order.pk)
    if not per_line:
        return
    existing = (
        {
            (row.order_id, row.line_id, row.warehouse_id): row
            for row in LineAllocation.objects.filter(order_id__in=stale, line_id__in=list(per_line))
        }
        if stale
        else {}
    )
    new = []
    for (order_id, line_id, warehouse_id), quantity in per_row.items():
        row = existing.get((order_id, line_id, warehouse_id))
        if row is None:
            new.append(
                LineAllocation(
                    order_id=order_id, line_id=line_id, warehouse_id=warehouse_id, quantity=quantity
                )
            )
        else:
            LineAllocation.objects.filter(pk=row.pk).update(
                quantity=F("quantity") + quantity, updated_at=timezone.now()
            )
    LineAllocation.objects.bulk_create(new)
    bulk_increment(OrderLine, "quantity_allocated", per_line)
    commitments_sync(order_ids=sorted({order.pk for order, reserved, _fresh in batch if reserved}))


def allocation_refresh(*, order: Order) -> None:
    """Re-derive `allocation_status` and the recorded backorder from the lines (the order is locked).

    For writers that reserve outside order_allocate: shipping reserves on the way out what a line
    lacked in the shipment's warehouse (orders.services.fulfilment), which may fill a backorder.
    """
    stock_lines = [
        line
        for line in OrderLine.objects.filter(order_id=order.pk).select_related("product")
        if line.from_stock
    ]
    allocated = {line.pk: line.quantity_allocated for line in stock_lines}
    decision = dict(order.allocation or {})
    if decision:
        held = _held_by_warehouse(order.pk)
        previous = decision.get("lines", {})
        lines = {}
        for line in stock_lines:
            entry = dict(previous.get(str(line.pk), {}))
            short = line.quantity - allocated[line.pk]
            if held.get(line.pk) and entry.get("backordered", 0) != short:
                entry = _line_totals(entry, held[line.pk], short)
            lines[str(line.pk)] = {**entry, "backordered": short}
        decision["lines"] = lines
        _order_totals(decision, order, held, sum(e["backordered"] for e in lines.values()))
    order.allocation = decision
    order.allocation_status = _status_of(stock_lines, allocated)
    order.save(update_fields=["allocation", "allocation_status", "updated_at"])


def order_allocation_release(*, order_id: int, actor=None, reason: str = "", line_ids=None) -> int:
    """Give back every unit still reserved for the order (or for `line_ids`); returns how many.

    Runs when an order is cancelled (from the `order.cancelled` event) and before a changed order is
    allocated again. Exactly once by construction: it releases what the order's LineAllocation rows
    still hold, under the order lock, and leaves them holding nothing — a second call finds nothing.
    Shipped units are never released. Writes the ledger's release movements, an `order.stock_released`
    timeline entry, and (when everything is released) `allocation_status` "released".
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        rows = LineAllocation.objects.filter(
            order_id=order.pk, quantity__gt=F("quantity_shipped")
        ).select_related("line")
        if line_ids is not None:
            rows = rows.filter(line_id__in=list(line_ids))
        rows = list(rows.order_by("line_id", "warehouse_id"))
        if not rows:
            return 0
        demands = [
            (row.line.product_id, row.warehouse_id, row.quantity_reserved, row.line_id) for row in rows
        ]
        stock_release(demands=demands, document=document(order.pk), actor=actor, reason=reason)
        released = sum(row.quantity_reserved for row in rows)
        per_line: dict[int, int] = defaultdict(int)
        for row in rows:
            per_line[row.line_id] += row.quantity_reserved
        LineAllocation.objects.filter(pk__in=[row.pk for row in rows]).update(
            quantity=F("quantity_shipped"), updated_at=timezone.now()
        )
        LineAllocation.objects.filter(pk__in=[row.pk for row in rows], quantity=0).delete()
        for line_id, quantity in per_line.items():
            OrderLine.objects.filter(pk=line_id).update(quantity_allocated=F("quantity_allocated") - quantity)
        commitments_sync(order_ids=[order.pk])
        still = LineAllocation.objects.filter(order_id=order.pk, quantity__gt=F("quantity_shipped")).exists()
        changes = ["version", "updated_at"]
        if not still:
            order.allocation_status = A.RELEASED
            changes.append("allocation_status")
        order.version = F("version") + 1
        order.save(update_fields=changes)
        order.refresh_from_db(fields=["version"])
        OrderEvent.record(
            order=order,
            kind=K.STOCK_RELEASED,
            actor=actor,
            note=reason,
            data={"released": released, "lines": {str(k): v for k, v in sorted(per_line.items())}},
        )
        return released


def allocation_reduce(
    *, order: Order, quantities: dict[int, int], actor=None, reason: str = ""
) -> dict[int, int]:
    """Give back up to `quantities[line_id]` units still reserved for each line; returns what each
    line released ({line_id: units}, lines that released nothing left out).

    For a changed order (orders.services.changes), which holds the order's lock: a reduced line gives
    back what it no longer needs, a removed line (or one production now builds) all it holds. Within
    a line the smallest holdings go first, so what stays reserved ships from as few warehouses as
    possible. Shipped units are never released. Writes the ledger's release movements
    (inventory.services.stock_release, the only writer of stock), the LineAllocation rows and the
    lines' `quantity_allocated`; no timeline entry, no version bump and no recount of committed demand:
    the change does all three once its lines are written.
    """
    wanted = {line_id: units for line_id, units in quantities.items() if units > 0}
    if not wanted:
        return {}
    rows = sorted(
        LineAllocation.objects.filter(
            order_id=order.pk, line_id__in=list(wanted), quantity__gt=F("quantity_shipped")
        ).select_related("line"),
        key=lambda row: (row.line_id, row.quantity_reserved, row.warehouse_id),
    )
    plan: list[tuple[LineAllocation, int]] = []
    for row in rows:
        take = min(wanted[row.line_id], row.quantity_reserved)
        if take:
            plan.append((row, take))
            wanted[row.line_id] -= take
    if not plan:
        return {}
    stock_release(
        demands=[(row.line.product_id, row.warehouse_id, take, row.line_id) for row, take in plan],
        document=document(order.pk),
        actor=actor,
        reason=reason,
    )
    now = timezone.now()
    released: dict[int, int] = defaultdict(int)
    for row, take in plan:
        LineAllocation.objects.filter(pk=row.pk).update(quantity=F("quantity") - take, updated_at=now)
        released[row.line_id] += take
    LineAllocation.objects.filter(pk__in=[row.pk for row, _take in plan], quantity=0).delete()
    for line_id, units in released.items():
        OrderLine.objects.filter(pk=line_id).update(quantity_allocated=F("quantity_allocated") - units)
    return dict(released)


def allocation_after_change(*, order: Order, actor=None) -> Order:
    """Bring a changed order's allocation up to date (orders.services.changes; the order is locked).

    Allocates what its stock lines still need (order_allocate: added lines, higher quantities; it may
    move an approved order to allocated), then re-derives the recorded decision and
    `allocation_status` from the lines as they are now (removed lines gone, reduced backorders).
    A backorder the change made grow is announced (`order.backordered`) once, as allocation does.
    Returns the order as it is now.
    """
    was_short = _recorded_short(order)
    outcome = order_allocate(order_id=order.pk, actor=actor)
    order = outcome.order
    allocation_refresh(order=order)
    if not outcome.changed and _recorded_short(order) > was_short:
        # order_allocate found nothing new to reserve and so said nothing: the growth is the change's.
        stock_lines = [
            line
            for line in OrderLine.objects.filter(order_id=order.pk).select_related("product")
            if line.from_stock
        ]
        short_lines = _short_lines(stock_lines, {line.pk: line.quantity_allocated for line in stock_lines})
        summary = {
            "reason": str((order.allocation or {}).get("reason", "")),
            "reserved": 0,
            "backordered": sum(item["quantity_short"] for item in short_lines),
            "warehouses": [],
        }
        _announce_backorder(order, actor=actor, short_lines=short_lines, summary=summary)
    return order


def _recorded_short(order: Order) -> int:
    return sum(
        int(entry.get("backordered", 0)) for entry in (order.allocation or {}).get("lines", {}).values()
    )


# Where an order holds no stock: it is closed, or back with the dealer (changes requested). An order
# sent back to review after a change keeps its reservations until review decides.
HOLDS_NO_STOCK = frozenset({S.CANCELLED, S.REJECTED, S.DRAFT})


def order_release_cancelled(*, order_id: int) -> int:
    """Release what a cancelled, rejected or returned-to-draft order still holds (the task of the
    `order.cancelled`, `order.rejected` and `order.changes_requested` listener). A no-op for an order in
    any other status (it moved on again meanwhile), so a late or repeated message releases nothing."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status not in HOLDS_NO_STOCK:
            return 0
        released = order_allocation_release(order_id=order.pk, reason=order.status)
        if not released and order.allocation_status in WAITING:
            # Nothing was held, but the backorder is no longer wanted: it must not read as waiting.
            order.allocation_status = A.RELEASED
            order.save(update_fields=["allocation_status", "updated_at"])
        return released


def orders_waiting_for_stock(*, product_ids=None, limit: int = 200) -> list[int]:
    """Orders with a backorder on a stock line, most urgent first: priority, then the older approval.

    One query; the `limit` most urgent of all waiting orders (not of an arbitrary slice of them).
    """
    short_lines = OrderLine.objects.filter(
        order_id=OuterRef("pk"),
        is_custom_build=False,
        product__made_to_order=False,
        quantity_allocated__lt=F("quantity"),
    )
    if product_ids is not None:
        short_lines = short_lines.filter(product_id__in=list(product_ids))
    return list(
        Order.objects.filter(allocation_status__in=list(WAITING), status__in=list(ALLOCATABLE))
        .filter(Exists(short_lines))
        .order_by("-priority", F("approved_at").asc(nulls_last=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )


def order_backorders_retry(*, product_ids=None, limit: int = 200) -> int:
    """Try again to reserve stock for waiting orders, most urgent first; returns units reserved.

    Each order is its own transaction (order lock, then stock rows), so a long retry never holds
    many locks and a failure on one order leaves the others done.
    """
    reserved = 0
    for order_id in orders_waiting_for_stock(product_ids=product_ids, limit=limit):
        reserved += order_allocate(order_id=order_id).reserved
    return reserved


def allocation_wakeups(*, limit: int = 500) -> list[int]:
    """For the catch-up sweep: one approved order nobody allocated yet per ALLOCATION_BATCH_SIZE of them,
    most urgent first; each one's wake-up (`orders_allocate_backlog`) allocates a batch of the backlog."""
    return orders_approved_unallocated(limit=limit)[:: settings.ALLOCATION_BATCH_SIZE]


def orders_approved_unallocated(*, limit: int = 500) -> list[int]:
    """Approved orders allocation has not looked at yet (a lost message, a worker down): most urgent first."""
    return list(
        Order.objects.filter(status=S.APPROVED, allocation_status=A.NONE)
        .order_by("-priority", F("approved_at").asc(nulls_last=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )


__all__ = [
    "ALLOCATABLE",
    "AllocationOutcome",
    "allocation_wakeups",
    "allocation_after_change",
    "allocation_reduce",
    "allocation_refresh",
    "DOCUMENT_TYPE",
    "order_allocate",
    "order_allocate_now",
    "order_allocation_release",
    "order_backorders_retry",
    "order_release_cancelled",
    "orders_allocate_backlog",
    "orders_approved_unallocated",
    "orders_waiting_for_stock",
]
