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
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, PositiveIntegerField, Value, When
from django.utils import timezone

from core import events
from inventory import allocation as planner
from inventory.allocation import PlanReason
from inventory.models import Warehouse
from inventory.selectors import shipping_cost_table, shipping_costs_to
from inventory.services import DocumentRef, stock_lock_rows, stock_release, stock_reserve_available
from orders import locks
from orders.models import AllocationStatus, LineAllocation, Order, OrderEvent, OrderLine
from orders.services.lifecycle import _move
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus

S = OrderStatus
A = AllocationStatus
K = OrderEventKind
DOCUMENT_TYPE = "orders.order"
# Statuses in which an order's stock lines may (still) be reserved: the first allocation after
# approval, and backorders filled later while the order is being produced or partly shipped.
ALLOCATABLE = frozenset({S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION, S.READY_TO_SHIP, S.PARTIALLY_SHIPPED})
WAITING = frozenset({A.PARTIAL, A.BACKORDERED})


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
        if order.status not in ALLOCATABLE:
            return AllocationOutcome(order=order, reserved=0, backordered=0, changed=False)
        lines = list(
            OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("position")
        )
        stock_lines = [line for line in lines if line.from_stock]
        allocated = {line.pk: line.quantity_allocated for line in stock_lines}
        need = {line.pk: line.quantity - line.quantity_allocated for line in stock_lines}
        earlier = sum(allocated.values())
        need = {pk: qty for pk, qty in need.items() if qty > 0}
        before = _status_of(stock_lines, allocated)
        if not need:
            if order.allocation_status != before:
                order.allocation_status = before
                order.save(update_fields=["allocation_status", "updated_at"])
            if order.status == S.APPROVED and before == A.ALLOCATED and stock_lines:
                order = _move(order.pk, S.ALLOCATED, actor=actor)[0]
            return AllocationOutcome(order=order, reserved=0, backordered=0, changed=False)

        warehouses, cost_table = _network()
        codes = {w.id: w.code for w in warehouses}
        by_pk = {line.pk: line for line in stock_lines}
        locked_rows = stock_lock_rows(
            product_ids={by_pk[pk].product_id for pk in need}, warehouse_ids=list(codes)
        )
        available = {key: max(0, row.on_hand - row.reserved) for key, row in locked_rows.items()}
        plan = planner.plan_allocation(
            lines=[
                planner.Line(line_id=pk, product_id=by_pk[pk].product_id, quantity=qty)
                for pk, qty in need.items()
            ],
            stock=available,
            warehouses=warehouses,
            destination=_destination(order),
            costs=_costs_to(order, warehouses, cost_table),
            accepts_partial=order.accepts_partial_shipments,
        )
        demands = [
            (decision.product_id, part.warehouse_id, part.quantity, decision.line_id)
            for decision in plan.lines
            for part in decision.allocations
        ]
        reserved = 0
        if demands:
            result = stock_reserve_available(
                demands=demands, document=document(order.pk), actor=actor, locked=locked_rows
            )
            _record_reservations(order, result.reserved, fresh=not earlier)
            for demand in result.reserved:
                allocated[int(demand.line_id)] += demand.quantity
                reserved += demand.quantity
        after = _status_of(stock_lines, allocated)
        short_lines = _short_lines(stock_lines, allocated)
        backordered = sum(item["quantity_short"] for item in short_lines)
        ships = after == A.ALLOCATED or (after == A.PARTIAL and order.accepts_partial_shipments)
        moves = order.status == S.APPROVED and ships
        if not reserved and not moves and order.allocation and after == order.allocation_status:
            # A retry that found nothing new: no write, no version bump (an edit holding the order's
            # version must not fail because a backorder sweep passed by).
            return AllocationOutcome(order=order, reserved=0, backordered=backordered, changed=False)
        was_short = sum(
            int(entry.get("backordered", 0)) for entry in (order.allocation or {}).get("lines", {}).values()
        )
        decision = _decision(order, plan, stock_lines, allocated, codes, earlier)
        summary = {
            "reason": str(plan.reason),
            "reserved": reserved,
            "backordered": backordered,
            "warehouses": [codes[w] for w in plan.warehouse_ids],
        }
        if moves:
            # One UPDATE: the decision rides on the status change (the engine bumps the version).
            order = _move(
                order.pk,
                S.ALLOCATED,
                actor=actor,
                data=summary,
                changes={"allocation": decision, "allocation_status": after},
                locked=order,
            )[0]
        else:
            # The row is locked: the version is bumped here, not re-read.
            order.allocation, order.allocation_status, order.version = decision, after, order.version + 1
            order.save(update_fields=["allocation", "allocation_status", "version", "updated_at"])
            if reserved and order.status != S.APPROVED:
                OrderEvent.record(order=order, kind=K.BACKORDER_FILLED, actor=actor, data=summary)
        if backordered > was_short:  # a new backorder (or one that grew): said once, not on every retry
            _announce_backorder(order, actor=actor, short_lines=short_lines, summary=summary)
        return AllocationOutcome(order=order, reserved=reserved, backordered=backordered, changed=True)


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
    OrderEvent.record(order=order, kind=K.BACKORDERED, actor=actor, data={**summary, "lines": short_lines})
    events.emit(
        K.BACKORDERED,
        order_id=order.pk,
        number=order.number,
        customer_id=order.customer_id,
        status=order.status,
        lines=[{"sku": item["sku"], "quantity_short": item["quantity_short"]} for item in short_lines],
    )


def _record_reservations(order: Order, reserved, *, fresh: bool = False) -> None:
    """Add reserved units to the LineAllocation rows and the lines' `quantity_allocated` (order locked)."""
    per_row: dict[tuple[int, int], int] = defaultdict(int)
    per_line: dict[int, int] = defaultdict(int)
    for demand in reserved:
        per_row[(int(demand.line_id), demand.warehouse_id)] += demand.quantity
        per_line[int(demand.line_id)] += demand.quantity
    # `fresh`: the order had no reservation at all before this run, so it has no rows yet.
    existing = (
        {}
        if fresh
        else {
            (row.line_id, row.warehouse_id): row
            for row in LineAllocation.objects.filter(order_id=order.pk, line_id__in=list(per_line))
        }
    )
    new = []
    for (line_id, warehouse_id), quantity in per_row.items():
        row = existing.get((line_id, warehouse_id))
        if row is None:
            new.append(
                LineAllocation(
                    order_id=order.pk, line_id=line_id, warehouse_id=warehouse_id, quantity=quantity
                )
            )
        else:
            LineAllocation.objects.filter(pk=row.pk).update(
                quantity=F("quantity") + quantity, updated_at=timezone.now()
            )
    LineAllocation.objects.bulk_create(new)
    added = Case(
        *[When(pk=line_id, then=Value(quantity)) for line_id, quantity in per_line.items()],
        output_field=PositiveIntegerField(),
    )
    OrderLine.objects.filter(pk__in=list(per_line)).update(quantity_allocated=F("quantity_allocated") + added)


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
    lines' `quantity_allocated`; no timeline entry and no version bump: the change records both.
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


def order_release_cancelled(*, order_id: int) -> int:
    """Release what a cancelled order still holds (the `order.cancelled` listener's task)."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status != S.CANCELLED:
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
    "allocation_after_change",
    "allocation_reduce",
    "allocation_refresh",
    "DOCUMENT_TYPE",
    "order_allocate",
    "order_allocate_now",
    "order_allocation_release",
    "order_backorders_retry",
    "order_release_cancelled",
    "orders_approved_unallocated",
    "orders_waiting_for_stock",
]
