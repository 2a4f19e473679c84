"""The allocation planner: which warehouses ship an order, line by line, and why (issue #8).

A pure, deterministic function — plain dataclasses in, a `Plan` out, no database and no project
models — so the allocation service can call it while it holds its stock-row locks and then write
exactly what the plan says. Same input, same plan: every choice ends in a tie-break on the
warehouse code (then id), never on dict or set order.

The rules, in order:

1. **One warehouse** that can ship every line in full: the nearest to the destination (great-circle
   km, haversine) or, when a cost table is given, the cheapest (per-shipment cost plus per-unit cost
   times the units). Warehouses without coordinates (or the destination without them) rank after
   every located one; warehouses missing from the cost table rank after every costed one, by
   distance among themselves; ties go to the lower warehouse code.
2. Otherwise **the fewest warehouses** that together can ship everything: an exact minimum set
   cover. Warehouses without which some product falls short are in every cover and are fixed
   first; the search then enumerates combinations of the remaining warehouses that hold any of
   the demanded products, smallest first, when there are at most `EXACT_COVER_LIMIT` of them (a
   typical network has ≤ 8; the search visits at most 2^n sets). Above the limit it falls back to
   the classic greedy cover (add the warehouse covering the most still-missing units, ties by
   rank, until nothing is missing), which is within a log factor of the minimum but not always
   minimal. Ties between equally small sets go to the smaller total distance (sum over the set)
   or total cost. Inside the chosen set each line ships from the best-ranked warehouse that can
   still ship it whole (earlier lines first); a line is split only when no single warehouse of
   the set can.
3. Otherwise (some product is short across all warehouses) **reserve what exists and backorder the
   rest per line**: the demand is capped at what the network holds (earlier lines first when
   several lines share a product), rules 1–2 choose the warehouses for that capped demand — so
   the reservation uses the fewest, nearest warehouses too — and each line's shortfall is
   backordered.

**Customers who do not accept partial shipments.** ERPs separate *reserving* from *shipping*.
Odoo's shipping policy "when all products are ready" (``move_type = 'one'``) still reserves
whatever is available; only the delivery waits until every move is reserved. ERPNext likewise
reserves available stock against the sales order and leaves completeness to the delivery. We do
the same: with ``accepts_partial=False`` and a shortfall, the plan reserves what exists exactly as
the partial plan would (so the order keeps its place when stock arrives, instead of losing it to
later orders), reason ``partial_not_accepted``, and ``Plan.ships_now`` is False: nothing may ship
until the backorder is filled. Shipping is therefore all-or-nothing: a plan ships now only if
nothing is backordered, or the customer accepts partial shipments. With ``accepts_partial=True``
the reserved part ships now (reason ``partial_backorder``). When nothing at all is in stock the
reason is ``no_stock`` either way.

Quantities are whole units (``StockLevel`` counts are integers). Non-positive stock counts as none.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# 2^12 = 4096 candidate sets, each checked against the demanded products: a few ms for 200 lines.
EXACT_COVER_LIMIT = 12
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class Line:
    line_id: int
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    latitude: Decimal | float | None = None
    longitude: Decimal | float | None = None


@dataclass(frozen=True)
class Destination:
    latitude: Decimal | float | None = None
    longitude: Decimal | float | None = None


@dataclass(frozen=True)
class ShippingCost:
    """What shipping from one warehouse to this destination costs: per shipment plus per unit."""

    per_shipment: Decimal = Decimal("0")
    per_unit: Decimal = Decimal("0")

    def for_units(self, units: int) -> Decimal:
        return self.per_shipment + self.per_unit * units


# ---------------------------------------------------------------------------------------------
# Output


class PlanReason(enum.StrEnum):
    SINGLE_WAREHOUSE_NEAREST = "single_warehouse_nearest"
    SINGLE_WAREHOUSE_CHEAPEST = "single_warehouse_cheapest"
    SPLIT_FEWEST_WAREHOUSES = "split_fewest_warehouses"
    PARTIAL_BACKORDER = "partial_backorder"
    PARTIAL_NOT_ACCEPTED = "partial_not_accepted"
    NO_STOCK = "no_stock"
    NOTHING_ORDERED = "nothing_ordered"


class LineReason(enum.StrEnum):
    ONE_WAREHOUSE = "one_warehouse"
    SPLIT = "split"  # no single warehouse of the plan holds the whole line
    PARTIAL_BACKORDER = "partial_backorder"
    NO_STOCK = "no_stock"


PLAN_MESSAGES = {
    PlanReason.SINGLE_WAREHOUSE_NEAREST: _(
        "Everything ships from %(warehouse)s, the nearest warehouse that has every line (%(distance)s)."
    ),
    PlanReason.SINGLE_WAREHOUSE_CHEAPEST: _(
        "Everything ships from %(warehouse)s, the cheapest warehouse that has every line (cost %(cost)s)."
    ),
    PlanReason.SPLIT_FEWEST_WAREHOUSES: _(
        "No single warehouse has every line; the order ships from the fewest warehouses that do "
        "together: %(warehouses)s."
    ),
    PlanReason.PARTIAL_BACKORDER: _(
        "Not everything is in stock: the available units are reserved from %(warehouses)s and ship "
        "now; %(backordered)s units are backordered."
    ),
    PlanReason.PARTIAL_NOT_ACCEPTED: _(
        "Not everything is in stock and the customer does not accept partial shipments: the available "
        "units are reserved from %(warehouses)s and the order ships complete once the %(backordered)s "
        "backordered units arrive."
    ),
    PlanReason.NO_STOCK: _("Nothing on this order is in stock; every line is backordered."),
    PlanReason.NOTHING_ORDERED: _("The order has no quantities to allocate."),
}

LINE_MESSAGES = {
    LineReason.ONE_WAREHOUSE: _("%(quantity)s from %(warehouse)s (%(distance)s)."),
    LineReason.SPLIT: _(
        "Split over %(warehouses)s: no single warehouse of the plan has all %(quantity)s units."
    ),
    LineReason.PARTIAL_BACKORDER: _(
        "%(allocated)s reserved from %(warehouses)s; %(backordered)s backordered."
    ),
    LineReason.NO_STOCK: _("Not in stock in any warehouse; %(backordered)s backordered."),
}

DISTANCE_KM = _("%(km)s km")
DISTANCE_UNKNOWN = _("distance unknown")


def _render(message, params: Mapping[str, Any]) -> str:
    values = dict(params)
    if "distance_km" in values:
        km = values.pop("distance_km")
        values["distance"] = str(DISTANCE_UNKNOWN) if km is None else str(DISTANCE_KM) % {"km": km}
    return str(message) % values


# Evaluated when rendered, in the language active then: the plan stores code and parameters only.
render_lazy = lazy(_render, str)


@dataclass(frozen=True)
class Allocation:
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class LineDecision:
    line_id: int
    product_id: int
    ordered: int
    allocations: tuple[Allocation, ...]
    backordered: int
    reason: LineReason
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return sum(a.quantity for a in self.allocations)

    @property
    def explanation(self):
        return render_lazy(LINE_MESSAGES[self.reason], self.params)


@dataclass(frozen=True)
class Plan:
    lines: tuple[LineDecision, ...]
    reason: PlanReason
    ships_now: bool
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def warehouse_ids(self) -> tuple[int, ...]:
        return tuple(sorted({a.warehouse_id for line in self.lines for a in line.allocations}))

    @property
    def backordered(self) -> int:
        return sum(line.backordered for line in self.lines)

    @property
    def explanation(self):
        return render_lazy(PLAN_MESSAGES[self.reason], self.params)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form to store on the order: codes and parameters, translated when shown."""
        return {
            "reason": str(self.reason),
            "ships_now": self.ships_now,
            "params": dict(self.params),
            "lines": [
                {
                    "line_id": line.line_id,
                    "product_id": line.product_id,
                    "ordered": line.ordered,
                    "allocations": [
                        {"warehouse_id": a.warehouse_id, "quantity": a.quantity} for a in line.allocations
                    ],
                    "backordered": line.backordered,
                    "reason": str(line.reason),
                    "params": dict(line.params),
                }
                for line in self.lines
            ],
        }


# ---------------------------------------------------------------------------------------------
# Geometry and ranking


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _distance(warehouse: Warehouse, destination: Destination | None) -> float | None:
    if destination is None or None in (
        warehouse.latitude,
        warehouse.longitude,
        destination.latitude,
        destination.longitude,
    ):
        return None
    return haversine_km(warehouse.latitude, warehouse.longitude, destination.latitude, destination.longitude)


def _km(distance: float | None) -> str | None:
    return None if distance is None else f"{distance:.0f}"


class _Ranker:
    def __init__(self, warehouses, destination, costs):
        self.by_id = {w.id: w for w in warehouses}
        self.costs = costs
        self.distance = {w.id: _distance(w, destination) for w in warehouses}

    def key(self, wid: int) -> tuple:
        """Preference for filling a line: cheapest per unit (with a cost table) or nearest, then code.

        Warehouses missing from the cost table come after every costed one, by distance among
        themselves; warehouses whose distance is unknown come after every located one.
        """
        code = self.by_id[wid].code
        d = self.distance[wid]
        by_distance = (1, 0.0, code, wid) if d is None else (0, d, code, wid)
        if self.costs is not None:
            cost = self.costs.get(wid)
            return (1, by_distance) if cost is None else (0, (cost.per_unit, cost.per_shipment, code, wid))
        return by_distance

    def order(self, wids: Iterable[int]) -> list[int]:
        return sorted(wids, key=self.key)

    def set_key(self, wids: Sequence[int], units_by_wid: Mapping[int, int]) -> tuple:
        """Tie-break between equally small warehouse sets: unknowns, total distance or cost, codes."""
        codes = tuple(sorted(self.by_id[w].code for w in wids))
        if self.costs is not None:
            unknown = sum(1 for w in wids if w not in self.costs)
            total = sum(
                (self.costs[w].for_units(units_by_wid.get(w, 0)) for w in wids if w in self.costs),
                Decimal("0"),
            )
            return (unknown, total, codes)
        unknown = sum(1 for w in wids if self.distance[w] is None)
        total = sum(self.distance[w] for w in wids if self.distance[w] is not None)
        return (unknown, total, codes)


# ---------------------------------------------------------------------------------------------
# The planner


def _validate(lines: Sequence[Line], warehouses: Sequence[Warehouse]) -> None:
    if len({line.line_id for line in lines}) != len(lines):
        raise ValueError("line ids must be unique")
    if len({w.id for w in warehouses}) != len(warehouses):
        raise ValueError("warehouse ids must be unique")
    for line in lines:
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise ValueError(f"line {line.line_id}: quantity must be a positive whole number")


def _covers(wids, demand, stock) -> bool:
    return all(sum(stock.get((p, w), 0) for w in wids) >= need for p, need in demand.items())


def _distribute(wanted, wids, stock, ranker):
    """Give each (line, quantity) units from `wids`: whole from the best-ranked warehouse able to,
    split over the ranking only when none can. Earlier lines first. Returns per-line allocations."""
    left = {(p, w): stock.get((p, w), 0) for p in {line.product_id for line, _q in wanted} for w in wids}
    ordered = ranker.order(wids)
    result = {}
    for line, quantity in wanted:
        p = line.product_id
        whole = next((w for w in ordered if left[(p, w)] >= quantity), None)
        if whole is not None:
            left[(p, whole)] -= quantity
            result[line.line_id] = [Allocation(whole, quantity)] if quantity else []
            continue
        parts, need = [], quantity
        for w in ordered:
            take = min(need, left[(p, w)])
            if take > 0:
                left[(p, w)] -= take
                parts.append(Allocation(w, take))
                need -= take
        result[line.line_id] = parts
    return result


def _units_by_wid(allocations) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    for parts in allocations.values():
        for a in parts:
            units[a.warehouse_id] += a.quantity
    return units


def _choose_set(demand, wanted, candidates, stock, ranker):
    """The fewest warehouses covering `demand` (exact up to EXACT_COVER_LIMIT, greedy above)."""
    # A warehouse without which some product falls short is in every cover: fix those first, so
    # the search (and its bound) is over the warehouses that are actually a choice.
    held: dict[int, int] = defaultdict(int)
    for w in candidates:
        for p in demand:
            held[p] += stock.get((p, w), 0)
    mandatory = [
        w for w in candidates if any(held[p] - stock.get((p, w), 0) < need for p, need in demand.items())
    ]
    free = [w for w in candidates if w not in mandatory]
    if len(free) <= EXACT_COVER_LIMIT:
        for extra in range(len(free) + 1):
            best = None
            for more in itertools.combinations(free, extra):
                combo = tuple(ranker.order([*mandatory, *more]))
                if len(combo) < 2 or not _covers(combo, demand, stock):
                    continue  # one warehouse alone was already ruled out by rule 1
                # Only a per-unit cost makes the tie-break depend on how the units are spread.
                allocations = _distribute(wanted, combo, stock, ranker) if ranker.costs is not None else None
                key = ranker.set_key(combo, _units_by_wid(allocations or {}))
                if best is None or key < best[0]:
                    best = (key, combo, allocations)
            if best is not None:
                return best[1], best[2] or _distribute(wanted, best[1], stock, ranker)
        raise AssertionError("demand was capped at the stock held, so the whole network covers it")
    chosen: list[int] = list(mandatory)
    missing = {p: max(0, need - sum(stock.get((p, w), 0) for w in chosen)) for p, need in demand.items()}
    while any(missing.values()):
        # Candidates arrive ranked, and only a strictly larger gain replaces: ties go by rank.
        best, best_gain = None, 0
        for w in candidates:
            if w in chosen:
                continue
            gain = sum(min(need, stock.get((p, w), 0)) for p, need in missing.items())
            if gain > best_gain:
                best, best_gain = w, gain
        chosen.append(best)
        for p in missing:
            missing[p] = max(0, missing[p] - stock.get((p, best), 0))
    return tuple(chosen), _distribute(wanted, chosen, stock, ranker)


def plan_allocation(
    *,
    lines: Sequence[Line],
    stock: Mapping[tuple[int, int], int],
    warehouses: Sequence[Warehouse],
    destination: Destination | None = None,
    costs: Mapping[int, ShippingCost] | None = None,
    accepts_partial: bool = True,
) -> Plan:
    """Decide which warehouse ships how much of each order line, and why.

    `stock` maps (product_id, warehouse_id) to the units available to promise there (on hand minus
    reserved, read under the caller's locks); warehouses not in `warehouses` are ignored. `costs`,
    when given, ranks warehouses instead of distance (a warehouse missing from it ranks last).
    Pure and deterministic; raises ValueError for duplicate ids or non-positive quantities. The
    rules and the partial-shipment policy are in this module's docstring.
    """
    _validate(lines, warehouses)
    ranker = _Ranker(warehouses, destination, costs)
    known = set(ranker.by_id)
    stock = {(p, w): q for (p, w), q in stock.items() if w in known and q > 0}

    # Cap each line at what the whole network holds, earlier lines first.
    held: dict[int, int] = defaultdict(int)
    for (p, _w), q in stock.items():
        held[p] += q
    wanted: list[tuple[Line, int]] = []
    for line in lines:
        take = min(line.quantity, held[line.product_id])
        held[line.product_id] -= take
        wanted.append((line, take))
    demand: dict[int, int] = defaultdict(int)
    for line, q in wanted:
        if q:
            demand[line.product_id] += q
    short = sum(line.quantity - q for line, q in wanted)

    if not lines:
        return Plan(lines=(), reason=PlanReason.NOTHING_ORDERED, ships_now=False)
    if not demand:
        decisions = tuple(
            LineDecision(
                line_id=line.line_id,
                product_id=line.product_id,
                ordered=line.quantity,
                allocations=(),
                backordered=line.quantity,
                reason=LineReason.NO_STOCK,
                params={"backordered": line.quantity},
            )
            for line in lines
        )
        return Plan(lines=decisions, reason=PlanReason.NO_STOCK, ships_now=False)

    candidates = ranker.order({w for (p, w) in stock if p in demand})
    singles = [w for w in candidates if _covers((w,), demand, stock)]
    if singles:
        if costs is not None:
            units = sum(demand.values())
            best = min(
                singles,
                key=lambda w: (
                    (0, costs[w].for_units(units), ranker.by_id[w].code, w)
                    if w in costs
                    else (1, ranker.key(w))
                ),
            )
        else:
            best = singles[0]
        chosen: Sequence[int] = (best,)
        allocations = _distribute(wanted, chosen, stock, ranker)
    else:
        chosen, allocations = _choose_set(demand, wanted, candidates, stock, ranker)

    code = {w.id: w.code for w in warehouses}
    decisions = []
    for line, q in wanted:
        parts = tuple(sorted(allocations.get(line.line_id, []), key=lambda a: ranker.key(a.warehouse_id)))
        backordered = line.quantity - q
        names = ", ".join(code[a.warehouse_id] for a in parts)
        if not parts:
            reason, params = LineReason.NO_STOCK, {"backordered": backordered}
        elif backordered:
            reason = LineReason.PARTIAL_BACKORDER
            params = {"allocated": q, "warehouses": names, "backordered": backordered}
        elif len(parts) == 1:
            wid = parts[0].warehouse_id
            reason = LineReason.ONE_WAREHOUSE
            params = {"quantity": q, "warehouse": code[wid], "distance_km": _km(ranker.distance[wid])}
        else:
            reason, params = LineReason.SPLIT, {"quantity": q, "warehouses": names}
        decisions.append(
            LineDecision(
                line_id=line.line_id,
                product_id=line.product_id,
                ordered=line.quantity,
                allocations=parts,
                backordered=backordered,
                reason=reason,
                params=params,
            )
        )

    names = ", ".join(code[w] for w in ranker.order(chosen))
    if short:
        reason = PlanReason.PARTIAL_BACKORDER if accepts_partial else PlanReason.PARTIAL_NOT_ACCEPTED
        plan_params = {"warehouses": names, "backordered": short}
        ships_now = accepts_partial
    elif len(chosen) == 1:
        wid = chosen[0]
        ships_now = True
        if costs is not None and wid in costs:
            reason = PlanReason.SINGLE_WAREHOUSE_CHEAPEST
            plan_params = {"warehouse": code[wid], "cost": str(costs[wid].for_units(sum(demand.values())))}
        else:  # no cost table, or no warehouse that has everything is in it: distance decided
            reason = PlanReason.SINGLE_WAREHOUSE_NEAREST
            plan_params = {"warehouse": code[wid], "distance_km": _km(ranker.distance[wid])}
    else:
        reason, plan_params, ships_now = PlanReason.SPLIT_FEWEST_WAREHOUSES, {"warehouses": names}, True
    return Plan(lines=tuple(decisions), reason=reason, ships_now=ships_now, params=plan_params)
