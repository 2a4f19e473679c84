"""Reads for orders. Visibility lives here: a dealer reaches orders only through *_for_dealer."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils.translation import gettext as _

from core.db import Prepared
from core.errors import NotFound
from crm.selectors import customer_list_for_user, is_dealer, is_sales_rep
from inventory import allocation as planner
from inventory.selectors import (
    Substitute,
    atp_promise,
    atp_timeline,
    product_substitutes,
    stock_available,
    warehouse_list_active,
)
from orders import priority
from orders.models import (
    AllocationStatus,
    CommittedDemand,
    LineAllocation,
    Order,
    OrderApproval,
    OrderEvent,
    OrderLine,
    PriorityFactor,
)
from orders.review import review_state
from orders.states import INTERNAL_KINDS, OPEN, OrderStatus

# Orders whose stock lines have a claim on supply: promised (submitted) and not closed. Drafts
# promise nothing; an order on hold keeps its claim, as it may resume.
COMMITTING = frozenset(OPEN - {OrderStatus.DRAFT})
# A product whose committed-demand ledger holds more rows than this is folded after the next intake
# (orders.services.commitments).
COMMITTED_DEMAND_FOLD_AT = 32


def order_list_for_dealer(*, user, customer_ids: list[int] | None = None) -> QuerySet[Order]:
    """The dealer's orders. `customer_ids` (already read for this user) spares a subquery, which lets
    PostgreSQL walk the (customer, -created_at, -id) index instead of sorting every order."""
    if customer_ids is None:
        return Order.objects.filter(
            customer__in=customer_list_for_user(user=user).values("pk")
        ).select_related("customer")
    return Order.objects.filter(customer_id__in=customer_ids).select_related("customer")


def order_get_for_dealer(*, user, number: str, with_lines: bool = True) -> Order:
    qs = order_list_for_dealer(user=user)
    if with_lines:
        qs = qs.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")), "approvals"
        )
    order = qs.filter(number=number).first()
    if order is None:
        raise NotFound()
    return order


def order_list_for_rep(*, user) -> QuerySet[Order]:
    return Order.objects.filter(customer__sales_rep=user).select_related("customer")


def order_get(*, order_id: int) -> Order:
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def order_event_list(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order).select_related("actor").order_by("-created_at", "-id")


def order_event_list_for_user(*, user, order: Order) -> QuerySet[OrderEvent]:
    """The order's timeline, newest first, as `user` may see it: the one rule, shown alike by the portal's
    order page and the dealer API's timeline. Each entry carries `actor_name`, who acted as this viewer
    may know it (None: the system).

    Decided by role, through crm's role helpers:
    - a sales rep (`is_sales_rep`), staff of the seller, sees every entry, the system's own
      bookkeeping (orders.states.INTERNAL_KINDS, e.g. `order.priority_scored`) included, and who acted
      by name (full name, else username);
    - a dealer (`is_dealer`) sees an order of a customer they act for without INTERNAL_KINDS; people
      acting for that customer are named, anyone else (staff, reps, managers) is shown as "Staff":
      names of the seller's people stay internal;
    - anyone else, or a dealer asking about another customer's order, sees nothing.
    Finding the order (order_get_for_dealer, order_list_for_rep) stays the caller's visibility check.
    """
    full_name = NullIf(Trim(Concat("actor__first_name", Value(" "), "actor__last_name")), Value(""))
    name = Coalesce(full_name, "actor__username", output_field=CharField())
    events = order_event_list(order=order)
    if is_sales_rep(user):
        return events.annotate(actor_name=name)
    if not (is_dealer(user) and customer_list_for_user(user=user).filter(pk=order.customer_id).exists()):
        return events.none()
    acts_for_customer = Exists(customer_list_for_user(user=OuterRef("actor")).filter(pk=order.customer_id))
    return events.exclude(kind__in=INTERNAL_KINDS).annotate(
        actor_name=Case(
            When(actor__isnull=True, then=Value(None)),
            When(acts_for_customer, then=name),
            # Translated now, in the language of the request that asks.
            default=Value(_("Staff")),
            output_field=CharField(),
        )
    )


def order_list_open(*, limit: int | None = None) -> QuerySet[Order]:
    """Orders still on their way (orders.states.OPEN), by primary key (the rescoring sweep pages on it)."""
    qs = Order.objects.filter(status__in=OPEN).order_by("pk")
    return qs[:limit] if limit else qs


def order_find_by_external_reference(*, customer_id: int, external_reference: str) -> Order | None:
    if not external_reference:
        return None
    return Order.objects.filter(customer_id=customer_id, external_reference=external_reference).first()


@dataclass(frozen=True)
class LineAllocationView:
    """One order line as allocation left it: where its units are reserved, what waits, and why."""

    line_id: int
    position: int
    sku: str
    ordered: int
    from_stock: bool
    warehouses: list[dict]  # {"code", "name", "reserved", "shipped"}
    backordered: int
    explanation: str


@dataclass(frozen=True)
class AllocationView:
    status: str
    status_label: str
    explanation: str
    decided_at: str | None
    lines: list[LineAllocationView]

    @property
    def backordered(self) -> int:
        return sum(line.backordered for line in self.lines)


# Orders whose stock lines may still wait for stock (a released or untouched order waits for nothing).
WAITING_STATUSES = (AllocationStatus.ALLOCATED, AllocationStatus.PARTIAL, AllocationStatus.BACKORDERED)


def _allocation_view(order: Order, lines, rows, from_stock) -> AllocationView:
    decision = order.allocation or {}
    per_line = decision.get("lines", {})
    by_line: dict[int, list[LineAllocation]] = {}
    for row in sorted(rows, key=lambda r: r.warehouse.code):
        by_line.setdefault(row.line_id, []).append(row)
    views = []
    for line in lines:
        stock = from_stock(line)
        entry = per_line.get(str(line.pk), {})
        explanation = ""
        if not stock:
            explanation = _("Built to order by production; not taken from stock.")
        elif entry.get("reason") in planner.LineReason.__members__.values():
            explanation = str(
                planner.render_lazy(planner.LINE_MESSAGES[entry["reason"]], entry.get("params", {}))
            )
        views.append(
            LineAllocationView(
                line_id=line.pk,
                position=line.position,
                sku=line.sku,
                ordered=line.quantity,
                from_stock=stock,
                warehouses=[
                    {
                        "code": row.warehouse.code,
                        "name": row.warehouse.name,
                        "reserved": row.quantity_reserved,
                        "shipped": row.quantity_shipped,
                    }
                    for row in by_line.get(line.pk, [])
                ],
                backordered=(
                    line.quantity - line.quantity_allocated
                    if stock and order.allocation_status in WAITING_STATUSES
                    else 0
                ),
                explanation=explanation,
            )
        )
    reason = decision.get("reason")
    explanation = (
        str(planner.render_lazy(planner.PLAN_MESSAGES[reason], decision.get("params", {})))
        if reason in planner.PlanReason.__members__.values()
        and order.allocation_status != AllocationStatus.RELEASED
        else ""
    )
    if order.allocation_status == AllocationStatus.RELEASED:
        explanation = _("Nothing is reserved for this order any more: its reservations were released.")
    return AllocationView(
        status=order.allocation_status,
        status_label=str(AllocationStatus(order.allocation_status).label),
        explanation=explanation,
        decided_at=decision.get("at"),
        lines=views,
    )


def order_allocation_view(*, order: Order) -> AllocationView:
    """The allocation decision of an order in words (current language), for the admin and the portal.

    Two queries: the lines with their products, the allocation rows with their warehouses.
    """
    lines = OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("position")
    rows = LineAllocation.objects.filter(order_id=order.pk).select_related("warehouse")
    return _allocation_view(
        order,
        list(lines),
        list(rows),
        lambda line: line.from_stock,
    )


def order_allocation_summary(*, order: Order, lines) -> AllocationView:
    """The same for the API, from the order's prefetched lines (and `allocations`, when prefetched).

    No query for an order allocation has not touched; otherwise one, unless the caller prefetched
    `allocations__warehouse`. A stock line is one the stored decision names (allocation writes every
    stock line there); before allocation, every line that is not a custom build.
    """
    if order.allocation_status == AllocationStatus.NONE:
        rows = []
    elif "allocations" in getattr(order, "_prefetched_objects_cache", {}):
        rows = list(order.allocations.all())
    else:
        rows = list(LineAllocation.objects.filter(order_id=order.pk).select_related("warehouse"))
    named = set((order.allocation or {}).get("lines", {}))
    if order.allocation_status == AllocationStatus.NONE:
        return _allocation_view(order, lines, rows, lambda line: not line.is_custom_build)
    return _allocation_view(order, lines, rows, lambda line: str(line.pk) in named)


def line_allocations_held(*, order_id: int, line_ids=None):
    """The order's allocation rows still holding reserved units, with their warehouses."""
    rows = LineAllocation.objects.filter(
        order_id=order_id, quantity__gt=F("quantity_shipped")
    ).select_related("warehouse")
    if line_ids is not None:
        rows = rows.filter(line_id__in=list(line_ids))
    return rows.order_by("warehouse__code", "line_id")


def allocations_with_warehouses() -> Prefetch:
    """Prefetch of an order's allocation rows with their warehouses (one query for a page of orders)."""
    return Prefetch("allocations", queryset=LineAllocation.objects.select_related("warehouse"))


def committed_units_of(*, status: str, quantity: int, allocated: int, custom_build: bool) -> int:
    """What one line counts in its product's committed demand: its units not reserved yet while its order
    is submitted and not closed (COMMITTING) and it is not a custom build (production's), else 0."""
    if custom_build or status not in COMMITTING:
        return 0
    return max(0, quantity - allocated)


class LineCommitment(NamedTuple):
    pk: int
    product_id: int
    recorded: int  # the line's `committed_units`
    expected: int  # what it counts as it is now (committed_units_of)


def line_commitments(lines: QuerySet[OrderLine], *, stream: bool = False) -> Iterator[LineCommitment]:
    """Each of `lines` with what it records in committed demand and what it should count now: one
    query (the lines with their order's status); `stream`: read in chunks (a whole table)."""
    rows = lines.values_list(
        "pk",
        "product_id",
        "quantity",
        "quantity_allocated",
        "is_custom_build",
        "committed_units",
        "order__status",
    )
    for pk, product_id, quantity, allocated, custom, recorded, status in (
        rows.iterator(chunk_size=5000) if stream else rows
    ):
        expected = committed_units_of(
            status=status, quantity=quantity, allocated=allocated, custom_build=custom
        )
        yield LineCommitment(pk, product_id, recorded, expected)


def _committed_rows(product_ids) -> QuerySet:
    return (
        CommittedDemand.objects.filter(product_id__in=product_ids)
        .order_by()
        .values("product_id")
        .annotate(units=Sum("units"), n=Count("*"))
        .values_list("product_id", "units", "n")
    )


# On the intake path (PostgreSQL): one index-only scan per product on (product, units). The ledger's
# folds delete rows all day; a plain index scan marks the entries of rows gone for good as dead, so the
# next reads skip them even before VACUUM comes by, where the bitmap scan the planner picks for
# `product_id = ANY(…)` would visit every one of them again on every read.
_COMMITTED_ROWS = Prepared(
    "SELECT p.id, s.units, s.n FROM UNNEST(%s::bigint[]) AS p(id) "
    "CROSS JOIN LATERAL (SELECT SUM(units), COUNT(*) "
    f"FROM {CommittedDemand._meta.db_table} WHERE product_id = p.id) AS s(units, n) "
    "WHERE s.n > 0"
)


def committed_demand(*, product_ids) -> tuple[dict[int, int], list[int]]:
    """Units of each product promised to open orders and not reserved yet, from the ledger
    (orders.services.commitments): ({product_id: units}, the products whose ledger holds more than
    COMMITTED_DEMAND_FOLD_AT rows and wants folding). One query, a few rows per product."""
    product_ids = sorted(set(product_ids))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _COMMITTED_ROWS.execute(cursor, [product_ids])
            rows = cursor.fetchall()
    else:
        rows = _committed_rows(product_ids)
    units, crowded = {}, []
    for product_id, total, n in rows:
        if total > 0:  # never below 0 (only drift could make it so; committed_demand_check tells)
            units[product_id] = total
        if n > COMMITTED_DEMAND_FOLD_AT:
            crowded.append(product_id)
    return units, crowded


def order_stock_committed(
    *, product_ids, exclude_order_id: int | None = None, submitted_before=None
) -> dict[int, int]:
    """Units of each product promised to open orders and not reserved yet: {product_id: units}.

    Stock lines (not custom builds, which are production's) of submitted-and-not-closed orders
    (COMMITTING), less what allocation already reserved (`quantity_allocated`): the demand that comes
    before a new quote in available-to-promise (inventory.selectors.atp_timeline), earlier orders
    first. For all orders, the ledger's sums (committed_demand, a few rows per product). With
    `exclude_order_id` (the order being re-quoted) or `submitted_before` (only orders submitted before
    it): the lines' own figures (`committed_units`), one aggregate over the products' open lines.
    """
    if exclude_order_id is None and submitted_before is None:
        return committed_demand(product_ids=product_ids)[0]
    lines = OrderLine.objects.filter(product_id__in=list(product_ids), committed_units__gt=0)
    if exclude_order_id is not None:
        lines = lines.exclude(order_id=exclude_order_id)
    if submitted_before is not None:
        lines = lines.filter(
            Q(order__submitted_at__lt=submitted_before) | Q(order__submitted_at__isnull=True)
        )
    rows = (
        lines.order_by()
        .values("product_id")
        .annotate(units=Sum("committed_units"))
        .values_list("product_id", "units")
    )
    return {product_id: units for product_id, units in rows if units}


def committed_demand_drift() -> dict[int, tuple[int, int, int]]:
    """Products whose committed demand does not add up: {product_id: (ledger sum, sum of the lines'
    `committed_units`, what the lines count as they are now)}. Empty when the books are right.

    Both reads see one snapshot (REPEATABLE READ on PostgreSQL when called outside a transaction), so
    a writer committing between them is not taken for drift.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _in_outer_transaction():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _committed_demand_drift()


def _in_outer_transaction() -> bool:
    # Called inside atomic(): an outer block means the transaction began (and may have read) before.
    return len(connection.atomic_blocks) > 1


def _committed_demand_drift() -> dict[int, tuple[int, int, int]]:
    ledger = dict(
        CommittedDemand.objects.order_by()
        .values("product_id")
        .annotate(u=Sum("units"))
        .values_list("product_id", "u")
    )
    recorded, expected = defaultdict(int), defaultdict(int)
    for line in line_commitments(OrderLine.objects.all(), stream=True):
        recorded[line.product_id] += line.recorded
        expected[line.product_id] += line.expected
    drift = {}
    for product_id in set(ledger) | set(recorded) | set(expected):
        figures = (ledger.get(product_id, 0), recorded.get(product_id, 0), expected.get(product_id, 0))
        if len(set(figures)) > 1:
            drift[product_id] = figures
    return drift


@dataclass(frozen=True)
class BackorderSubstitutes:
    line: OrderLine
    backordered: int
    substitutes: list[Substitute]


def order_backorder_substitutes(*, order: Order, limit: int = 5) -> list[BackorderSubstitutes]:
    """For each stock line of an allocated-or-tried order still waiting for stock (its backorder),
    products that could replace it (inventory.selectors.product_substitutes): one query for the
    lines, one per backordered line."""
    if order.allocation_status not in (AllocationStatus.PARTIAL, AllocationStatus.BACKORDERED):
        return []
    lines = (
        OrderLine.objects.filter(
            order_id=order.pk, is_custom_build=False, quantity__gt=F("quantity_allocated")
        )
        .select_related("product")
        .order_by("position")
    )
    return [
        BackorderSubstitutes(
            line=line,
            backordered=line.quantity - line.quantity_allocated,
            substitutes=product_substitutes(
                product=line.product,
                quantity=line.quantity - line.quantity_allocated,
                options=line.options,
                limit=limit,
            ),
        )
        for line in lines
    ]


# --- the order manager's review screen ----------------------------------------------------------


@dataclass(frozen=True)
class ReviewLine:
    """One line as a reviewer needs it: what is asked, where stock is now, and when it can leave."""

    line: OrderLine
    stock: list[tuple[str, int]]  # (warehouse code, available now) for every active warehouse
    reserved: list[tuple[str, int]]  # (warehouse code, units reserved for this line and not shipped)
    promise: object  # inventory.selectors.AtpPromise: date, covered by supply, ready now

    @property
    def short_now(self) -> bool:
        held = sum(units for _code, units in self.reserved)
        still_needed = self.line.quantity - self.line.quantity_shipped - held
        return self.line.from_stock and still_needed > sum(units for _c, units in self.stock)


def order_review_lines(*, order: Order, today=None) -> list[ReviewLine]:
    """Each line with stock per active warehouse, its reservations and its available-to-promise date.

    The date follows intake's rule (inventory.selectors.atp_timeline): demand of orders submitted
    before this one comes first, what is already reserved for this line is ready now. A bounded
    number of queries: lines, warehouses, stock, reservations, committed demand, incoming supply.
    """
    lines = list(OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("position"))
    product_ids = sorted({line.product_id for line in lines})
    warehouses = list(warehouse_list_active())
    available = stock_available(product_ids=product_ids)
    reserved: dict[int, list[tuple[str, int]]] = {}
    for row in line_allocations_held(order_id=order.pk):
        reserved.setdefault(row.line_id, []).append((row.warehouse.code, row.quantity - row.quantity_shipped))
    committed = order_stock_committed(
        product_ids=product_ids, exclude_order_id=order.pk, submitted_before=order.submitted_at
    )
    timeline = atp_timeline(product_ids=product_ids, committed=committed, today=today)
    taken: dict[int, int] = {}
    result = []
    for line in lines:
        held = sum(units for _code, units in reserved.get(line.pk, []))
        wanted = max(0, line.quantity - line.quantity_shipped - held)
        promise = atp_promise(
            product=line.product,
            quantity=wanted,
            steps=timeline.get(line.product_id, []),
            taken=taken.get(line.product_id, 0),
            custom_build=not line.from_stock,
            today=today,
        )
        if promise.covered:
            taken[line.product_id] = taken.get(line.product_id, 0) + wanted
        result.append(
            ReviewLine(
                line=line,
                stock=[(w.code, available.get(line.product_id, {}).get(w.pk, 0)) for w in warehouses],
                reserved=reserved.get(line.pk, []),
                promise=promise,
            )
        )
    return result


# --- priority (issue #9) ------------------------------------------------------------------------------

# Orders waiting for a reviewer's decision, and the order they are worked in (the admin's review queue):
# the highest priority first, then the longest waiting (submitted first).
REVIEW_QUEUE = frozenset({OrderStatus.SUBMITTED, OrderStatus.IN_REVIEW})
REVIEW_QUEUE_ORDERING = ("-priority", F("submitted_at").asc(nulls_last=True), "pk")


def priority_rules() -> list[priority.FactorRule]:
    """The priority factors with their weights and parameters, in FACTOR_ORDER (one query)."""
    return priority.rules_with_defaults(
        priority.FactorRule(f.code, f.weight, f.parameters) for f in PriorityFactor.objects.all()
    )


@dataclass(frozen=True)
class PriorityRow:
    factor: str
    label: str
    fact: str
    weight: int
    share: str  # of the factor's weight, e.g. "75 %"
    points: int


@dataclass(frozen=True)
class PriorityView:
    score: int
    rows: list[PriorityRow]
    total_weight: int

    @property
    def summary(self) -> str:
        """One line per factor, for a tooltip: "Urgency: 30 (3 days to the requested delivery date)"."""
        return "\n".join(
            _("%(label)s: %(points)d (%(fact)s)") % {"label": r.label, "points": r.points, "fact": r.fact}
            for r in self.rows
        )


def order_priority_view(*, order: Order) -> PriorityView:
    """Why the order has its priority: its stored breakdown, worded in the reader's language. No query."""
    rows = [
        PriorityRow(
            factor=entry.get("factor", ""),
            label=priority.factor_label(entry.get("factor", "")),
            fact=priority.fact_text(entry.get("factor", ""), entry.get("fact") or {}),
            weight=entry.get("weight", 0),
            share=priority.share_text(entry.get("share", "0")),
            points=entry.get("points", 0),
        )
        for entry in order.priority_breakdown or ()
    ]
    return PriorityView(score=order.priority, rows=rows, total_weight=sum(r.weight for r in rows))


def order_review_state(*, order: Order):
    """Where the order's review stands (orders.review.ReviewState), or None before it opened. One query."""
    return review_state(OrderApproval.objects.filter(order_id=order.pk))
